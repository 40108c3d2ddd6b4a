// Real-kernel tests of the native bindings: TAP frames, carrier, persistence, packet sockets, fd passing, errors.
package dev.tapover.natives;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class NativeBindingsIT {
    private static final byte[] TAP_MAC = {0x02, 0x00, 0x5e, 0x10, 0x00, 0x01};

    @BeforeAll
    static void inThrowawayNamespace() {
        TestNamespace.requireThrowawayNamespace();
    }

    /** A broadcast frame with a recognisable payload (ethertype 0x88b5, IEEE local experimental). */
    private static ByteBuffer frame(String text) {
        ByteBuffer buf = ByteBuffer.allocateDirect(64);
        buf.put(new byte[] {-1, -1, -1, -1, -1, -1});
        buf.put(TAP_MAC);
        buf.putShort((short) 0x88b5);
        byte[] payload = Arrays.copyOf(text.getBytes(StandardCharsets.US_ASCII), 46);
        buf.put(payload);
        buf.flip();
        return buf;
    }

    private static byte[] bytes(ByteBuffer buf, int length) {
        byte[] out = new byte[length];
        buf.get(0, out);
        return out;
    }

    /** Polls {@code fd} until readable, at most one second. */
    private static void awaitReadable(int fd) throws NativeException {
        try (Poller poller = new Poller(1)) {
            poller.watch(0, fd);
            assertEquals(1, poller.poll(1000), "fd " + fd + " became readable within 1 s");
        }
    }

    private static String sys(String ifname, String attribute) throws Exception {
        return Files.readString(Path.of("/sys/class/net", ifname, attribute)).trim();
    }

    @Test
    void frameWrittenToTapIsSeenByPacketSocketAndBack() throws Exception {
        try (TapDevice tap = TapDevice.open("tovtap0", false)) {
            assertTrue(tap.created());
            tap.setMac(TAP_MAC);
            tap.setUp(true);
            assertArrayEquals(TAP_MAC, NetDevice.mac("tovtap0"));
            try (PacketSocket socket = PacketSocket.open("tovtap0")) {
                ByteBuffer out = frame("into the tap");
                assertEquals(60, tap.write(out));
                awaitReadable(socket.fd());
                ByteBuffer in = ByteBuffer.allocateDirect(2048);
                assertEquals(60, socket.receive(in));
                assertArrayEquals(bytes(frame("into the tap"), 60), bytes(in, 60));

                // The other way: a frame the packet socket transmits on the TAP is read from the TAP fd.
                ByteBuffer sent = frame("out of the tap");
                assertEquals(60, socket.send(sent));
                awaitReadable(tap.fd());
                ByteBuffer read = ByteBuffer.allocateDirect(2048);
                int n;
                do {
                    read.clear();
                    n = tap.read(read);
                    // The host stack may emit its own frames on the TAP (IPv6 DAD, RS): skip them.
                } while (n > 0 && read.getShort(12) != (short) 0x88b5);
                assertEquals(60, n);
                assertArrayEquals(bytes(frame("out of the tap"), 60), bytes(read, 60));
            }
        }
        assertThrows(NativeException.class, () -> NetDevice.indexOf("tovtap0"),
                "a non-persistent TAP disappears with its last fd");
    }

    /** Reads the TAP until a frame of ethertype 0x88b5 comes (the host may emit DAD/RS frames first). */
    private static int readExperimental(TapDevice tap, FrameBatch batch, int slot, int offset) throws Exception {
        for (int tries = 0; tries < 50; tries++) {
            awaitReadable(tap.fd());
            int n = tap.read(batch, slot, offset);
            if (n > 0 && batch.frames().getShort(batch.offset(slot) + offset + 12) == (short) 0x88b5) {
                return n;
            }
        }
        throw new AssertionError("no 0x88b5 frame on " + tap.name());
    }

    @Test
    void batchesMoveSeveralFramesPerCallBothWays() throws Exception {
        try (TapDevice tap = TapDevice.open("tovtap5", false)) {
            tap.setMac(TAP_MAC);
            tap.setUp(true);
            try (PacketSocket socket = PacketSocket.open("tovtap5")) {
                FrameBatch out = new FrameBatch(4, 2048);
                for (int i = 0; i < 3; i++) {
                    out.frames().put(out.offset(i), frame("batch frame " + i), 0, 60);
                    out.setLength(i, 60);
                }
                assertEquals(3, socket.send(out, 0, 3), "one sendmmsg, three frames");
                FrameBatch in = new FrameBatch(4, 2048);
                for (int i = 0; i < 3; i++) {
                    assertEquals(60, readExperimental(tap, in, i, 0));
                    assertArrayEquals(bytes(frame("batch frame " + i), 60), slice(in, i, 0, 60));
                }
                // Into the TAP one write per frame (a character device), out of the socket one recvmmsg.
                for (int i = 0; i < 3; i++) {
                    assertEquals(60, tap.write(in, i, 0, 60));
                }
                awaitReadable(socket.fd());
                FrameBatch received = new FrameBatch(8, 2048);
                int n = socket.receive(received);
                assertEquals(3, n);
                for (int i = 0; i < 3; i++) {
                    assertEquals(60, received.length(i));
                    assertArrayEquals(bytes(frame("batch frame " + i), 60), slice(received, i, 0, 60));
                }
                assertEquals(0, socket.receive(received), "nothing queued: 0, not an exception");
            }
        }
    }

    @Test
    void truncatedFrameReportsItsFullLengthInABatch() throws Exception {
        try (TapDevice tap = TapDevice.open("tovtap6", false)) {
            tap.setMac(TAP_MAC);
            tap.setUp(true);
            try (PacketSocket socket = PacketSocket.open("tovtap6")) {
                FrameBatch big = new FrameBatch(1, 1024);
                big.frames().put(0, frame("long"), 0, 60);
                assertEquals(1000, tap.write(big, 0, 0, 1000));
                awaitReadable(socket.fd());
                FrameBatch small = new FrameBatch(2, 128);
                assertEquals(1, socket.receive(small));
                assertEquals(1000, small.length(0), "MSG_TRUNC: the real length, larger than the slot");
            }
        }
    }

    @Test
    void vnetHeaderTapTakesOffloadsAndPacketSocketCarriesTheHeader() throws Exception {
        try (TapDevice tap = TapDevice.open("tovtap7", true)) {
            assertTrue((tap.features() & Linux.IFF_VNET_HDR) != 0);
            tap.setVnetHeaderSize(Linux.VIRTIO_NET_HDR_LEN);
            assertEquals(10, tap.vnetHeaderSize());
            tap.setOffload(Linux.TUN_F_CSUM | Linux.TUN_F_TSO4 | Linux.TUN_F_TSO6);
            tap.setMac(TAP_MAC);
            tap.setUp(true);
            assertTrue(TestNamespace.sh("ethtool", "-k", "tovtap7").contains("tcp-segmentation-offload: on"),
                    "TUNSETOFFLOAD turns TSO on for the host's stack");
            try (PacketSocket socket = PacketSocket.open("tovtap7")) {
                socket.enableVnetHeader();
                // A frame with a zero vnet header written to the TAP reaches the socket with a zero header.
                FrameBatch out = new FrameBatch(1, 2048);
                out.frames().put(out.offset(0) + 10, frame("vnet"), 0, 60);
                assertEquals(70, tap.write(out, 0, 0, 70));
                awaitReadable(socket.fd());
                FrameBatch in = new FrameBatch(2, 2048);
                assertEquals(1, socket.receive(in));
                assertEquals(70, in.length(0));
                assertArrayEquals(new byte[10], slice(in, 0, 0, 10));
                assertArrayEquals(bytes(frame("vnet"), 60), slice(in, 0, 10, 60));
            }
        }
    }

    @Test
    void rxRingHoldsFramesInPlaceAndSendsLongOnesThroughTheQueue() throws Exception {
        try (TapDevice tap = TapDevice.open("tovtap8", false)) {
            tap.setMac(TAP_MAC);
            tap.setUp(true);
            try (PacketSocket socket = PacketSocket.open("tovtap8")) {
                socket.enableVnetHeader();
                RxRing ring = socket.mapRxRing(2048, 64);
                assertEquals(64, ring.frames());
                assertFalse(ring.ready(), "an empty ring");
                FrameBatch out = new FrameBatch(1, 4096);
                out.frames().put(0, frame("ring 0"), 0, 60);
                assertEquals(60, tap.write(out, 0, 0, 60));
                out.frames().put(0, frame("ring 1 long"), 0, 60);
                assertEquals(3000, tap.write(out, 0, 0, 3000));
                out.frames().put(0, frame("ring 2"), 0, 60);
                assertEquals(60, tap.write(out, 0, 0, 60));
                awaitReadable(socket.fd());

                assertTrue(ring.ready());
                assertEquals(60, ring.length());
                assertEquals(60, ring.snapLength());
                assertEquals(0, ring.status() & Linux.TP_STATUS_COPY);
                byte[] got = new byte[60];
                ring.memory().get(ring.frameOffset(), got);
                assertArrayEquals(bytes(frame("ring 0"), 60), got);
                byte[] header = new byte[10];
                ring.memory().get(ring.frameOffset() - 10, header);
                assertArrayEquals(new byte[10], header, "the vnet header sits just before the frame");
                // Back into the TAP straight from the ring, and seen again by the socket.
                assertEquals(60, tap.write(ring, ring.frameOffset(), 60));
                ring.release();

                assertTrue(ring.ready());
                assertEquals(3000, ring.length());
                assertTrue(ring.snapLength() < 3000);
                assertTrue((ring.status() & Linux.TP_STATUS_COPY) != 0, "too long for a slot: copied to the queue");
                FrameBatch whole = new FrameBatch(1, 4096);
                assertEquals(3010, socket.receive(whole, 0), "vnet header + the whole frame from the queue");
                assertArrayEquals(bytes(frame("ring 1 long"), 60), slice(whole, 0, 10, 60));
                ring.release();

                assertTrue(ring.ready());
                ring.memory().get(ring.frameOffset(), got);
                assertArrayEquals(bytes(frame("ring 2"), 60), got);
                ring.release();

                awaitReadable(socket.fd());
                assertTrue(ring.ready(), "the frame written from the ring came round again");
                ring.memory().get(ring.frameOffset(), got);
                assertArrayEquals(bytes(frame("ring 0"), 60), got);
                ring.release();
                assertFalse(ring.ready());
            }
        }
    }

    private static byte[] slice(FrameBatch batch, int slot, int offset, int length) {
        byte[] out = new byte[length];
        batch.frames().get(batch.offset(slot) + offset, out);
        return out;
    }

    @Test
    void carrierFollowsTunSetCarrier() throws Exception {
        try (TapDevice tap = TapDevice.open("tovtap1", false)) {
            tap.setUp(true);
            assertEquals("1", sys("tovtap1", "carrier"));
            tap.setCarrier(false);
            assertEquals("0", sys("tovtap1", "carrier"));
            tap.setCarrier(true);
            assertEquals("1", sys("tovtap1", "carrier"));
        }
    }

    @Test
    void persistentTapSurvivesCloseAndCanBeReattached() throws Exception {
        try (TapDevice tap = TapDevice.open("tovtap2", true)) {
            assertTrue(tap.hasVnetHeader());
            tap.setPersistent(true);
        }
        int index = NetDevice.indexOf("tovtap2");
        try (TapDevice again = TapDevice.open("tovtap2", true)) {
            assertFalse(again.created(), "the second open attaches to the persistent TAP");
            assertEquals(index, again.ifindex());
            again.setPersistent(false);
        }
        assertThrows(NativeException.class, () -> NetDevice.indexOf("tovtap2"));
    }

    @Test
    void tapFdPassedThroughSocketpairWorksOnTheOtherSide() throws Exception {
        UnixSocket[] pair = UnixSocket.pair();
        try (UnixSocket sender = pair[0]; UnixSocket receiver = pair[1];
             TapDevice tap = TapDevice.open("tovtap3", false)) {
            tap.setUp(true);
            ByteBuffer manifest = ByteBuffer.allocateDirect(64);
            manifest.put("tap/tovtap3".getBytes(StandardCharsets.US_ASCII)).flip();
            FdPassing.send(sender, manifest, tap.fd());

            ByteBuffer received = ByteBuffer.allocateDirect(64);
            FdPassing.Received message = FdPassing.receive(receiver, received, 4);
            assertEquals(11, message.bytes());
            assertEquals("tap/tovtap3", StandardCharsets.US_ASCII.decode(received.flip()).toString());
            assertEquals(1, message.fds().length);
            assertFalse(message.truncated());
            assertTrue(message.fds()[0] != tap.fd(), "the kernel installs a new fd number");

            // The old owner lets go; the TAP must survive on the passed fd alone.
            tap.close();
            try (TapDevice adopted = TapDevice.adopt(message.fds()[0]);
                 PacketSocket socket = PacketSocket.open("tovtap3")) {
                assertEquals("tovtap3", adopted.name());
                assertEquals("1", sys("tovtap3", "carrier"));
                assertEquals(60, adopted.write(frame("via passed fd")));
                awaitReadable(socket.fd());
                ByteBuffer in = ByteBuffer.allocateDirect(2048);
                assertEquals(60, socket.receive(in));
                assertArrayEquals(bytes(frame("via passed fd"), 60), bytes(in, 60));
            }
        }
    }

    @Test
    void promiscuousMembershipIsCountedAndDroppedOnClose() throws Exception {
        try (TapDevice tap = TapDevice.open("tovtap4", false)) {
            tap.setUp(true);
            PacketSocket socket = PacketSocket.open("tovtap4");
            socket.setPromiscuous(true);
            assertTrue(TestNamespace.sh("ip", "-d", "link", "show", "tovtap4").contains("promiscuity 1"));
            socket.close();
            assertTrue(TestNamespace.sh("ip", "-d", "link", "show", "tovtap4").contains("promiscuity 0"));
        }
    }

    @Test
    void pollerIsWokenFromAnotherThread() throws Exception {
        try (Poller poller = new Poller(2)) {
            Thread waker = new Thread(() -> {
                try {
                    Thread.sleep(50);
                    poller.wakeup();
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            waker.start();
            long start = System.nanoTime();
            assertEquals(0, poller.poll(5000));
            assertTrue(poller.wasWoken());
            assertTrue(System.nanoTime() - start < 4_000_000_000L, "woken long before the 5 s timeout");
            waker.join();
        }
    }

    @Test
    void netlinkLinkDumpAnswers() throws Exception {
        try (NetlinkSocket socket = NetlinkSocket.open(Linux.NETLINK_ROUTE)) {
            socket.setReceiveBufferSize(1 << 20);
            socket.joinGroup(1);
            ByteBuffer request = ByteBuffer.allocateDirect(32).order(java.nio.ByteOrder.nativeOrder());
            request.putInt(32).putShort((short) 18).putShort((short) 0x301).putInt(1).putInt(0); // RTM_GETLINK dump
            request.put((byte) 0).put((byte) 0).putShort((short) 0).putInt(0).putInt(0).putInt(0); // ifinfomsg
            request.flip();
            socket.send(request);
            awaitReadable(socket.fd());
            ByteBuffer reply = ByteBuffer.allocateDirect(65536).order(java.nio.ByteOrder.nativeOrder());
            int n = socket.receive(reply);
            assertTrue(n >= 16);
            assertEquals(16, reply.getShort(4), "first reply is RTM_NEWLINK (lo)");
            assertEquals(1, reply.getInt(8), "reply carries the request's sequence number");
        }
    }

    @Test
    void attachingToABusyTapFailsWithEbusy() throws Exception {
        try (TapDevice first = TapDevice.open("tovbusy0", false)) {
            NativeException e = assertThrows(NativeException.class, () -> TapDevice.open("tovbusy0", false));
            assertEquals("ioctl(TUNSETIFF) on /dev/net/tun for \"tovbusy0\" failed: EBUSY (Device or resource busy)",
                    e.getMessage());
            assertEquals(Errno.EBUSY, e.errno());
            assertTrue(first.isOpen());
        }
    }

    @Test
    void unknownInterfaceFailsWithEnodev() {
        NativeException e = assertThrows(NativeException.class, () -> PacketSocket.open("tovnosuch0"));
        assertEquals("if_nametoindex on \"tovnosuch0\" failed: ENODEV (No such device)", e.getMessage());
    }

    @Test
    void nameLongerThanFifteenBytesIsRefusedBeforeAnyCall() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TapDevice.open("tov-name-too-long", false));
        assertEquals("interface name \"tov-name-too-long\" must be 1 to 15 bytes long (IFNAMSIZ)", e.getMessage());
        assertThrows(NativeException.class, () -> NetDevice.indexOf("tov-name-too-lo"));
    }
}
