// The kernel facts live update rests on, checked on real fds: EBUSY on a second attach, shared copies, fd checks, adoption.
package dev.tapover.liveupdate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.List;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.tapover.lab.Sh;
import dev.tapover.natives.Errno;
import dev.tapover.natives.FdPassing;
import dev.tapover.natives.FileStat;
import dev.tapover.natives.Linux;
import dev.tapover.natives.NativeException;
import dev.tapover.natives.PacketSocket;
import dev.tapover.natives.TapDevice;
import dev.tapover.natives.UnixSocket;

@org.junit.jupiter.api.Tag("netns")
class LiveUpdateNativeIT {
    @BeforeAll
    static void inThrowawayNamespace() {
        Sh.requireThrowawayNamespace();
    }

    /** Sends {@code fds} through a socketpair, as the handoff does, and returns the received copies. */
    private static int[] passThroughSocket(int... fds) throws NativeException {
        UnixSocket[] pair = UnixSocket.pair();
        try {
            ByteBuffer out = ByteBuffer.allocateDirect(8);
            out.put("manifest".getBytes()).flip();
            FdPassing.send(pair[0], out, fds);
            FdPassing.Received r = FdPassing.receive(pair[1], ByteBuffer.allocateDirect(64), 8);
            assertEquals(fds.length, r.fds().length);
            return r.fds();
        } finally {
            pair[0].close();
            pair[1].close();
        }
    }

    private static FdEntry entryFor(TapDevice tap) throws NativeException {
        FileStat st = FileStat.of(tap.fd());
        return new FdEntry("tap/" + tap.name(), FdKind.TAP, tap.name(), tap.ifindex(), tap.tunFlags(), tap.vnetHeaderSize(),
                false, false, st.dev(), st.ino());
    }

    @Test
    void aSecondAttachIsBusySoTheOpenFdMustBeHandedOver() throws Exception {
        try (TapDevice tap = TapDevice.open("tolu0", false)) {
            NativeException e = assertThrows(NativeException.class, () -> TapDevice.open("tolu0", false));
            assertEquals(Errno.EBUSY, e.errno(), e.getMessage());
        }
    }

    @Test
    void aReceivedTapPassesTheChecksAndOutlivesTheSendersCopy() throws Exception {
        TapDevice original = TapDevice.open("tolu1", true);
        int ifindex = original.ifindex();
        FdEntry entry = entryFor(original);
        assertEquals(10, entry.vnetHeaderSize(), "the default virtio-net header");
        assertTrue((entry.flags() & Linux.IFF_VNET_HDR) != 0);
        int[] received = passThroughSocket(original.fd());
        FdCheck.Observed seen = FdCheck.probe(received[0]);
        assertEquals(10, seen.rdevMajor());
        assertEquals(200, seen.rdevMinor());
        FdCheck.verify(List.of(entry), List.of(seen), false);

        original.close(); // the predecessor closes its copy: the successor's keeps the TAP
        assertEquals(ifindex, Integer.parseInt(AgentProcess.sys("tolu1", "ifindex")));
        try (TapDevice adopted = TapDevice.adopt(received[0])) {
            assertEquals("tolu1", adopted.name());
            assertTrue(adopted.hasVnetHeader());
        }
        assertTrue(Sh.tryRun("ip", "link", "show", "tolu1").exit() != 0, "the last copy closed: the TAP is gone");
    }

    @Test
    void anotherTapFailsTheCheckByName() throws Exception {
        try (TapDevice a = TapDevice.open("tolu2", false); TapDevice b = TapDevice.open("tolu3", false)) {
            int[] received = passThroughSocket(b.fd());
            try {
                LiveUpdateException e = assertThrows(LiveUpdateException.class,
                        () -> FdCheck.verify(List.of(entryFor(a)), List.of(FdCheck.probe(received[0])), false));
                assertTrue(e.getMessage().contains("is TAP \"tolu3\", not \"tolu2\""), e.getMessage());
            } finally {
                Transport.closeAll(received);
            }
        }
    }

    private static ByteBuffer frame(int tag) {
        ByteBuffer frame = ByteBuffer.allocateDirect(60);
        frame.put(new byte[] {2, 0, 0x5e, 0, 0x53, 9, 2, 0, 0x5e, 0, 0x53, 8, (byte) 0x88, (byte) 0xb5, (byte) tag});
        frame.position(60).flip();
        return frame;
    }

    /** Waits (at most 2 s) until the ring's current slot holds a frame. */
    private static void awaitSlot(dev.tapover.natives.RxRing ring) throws InterruptedException {
        long deadline = System.nanoTime() + 2_000_000_000L;
        while (!ring.ready() && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        assertTrue(ring.ready(), "a frame arrived in the ring");
    }

    @Test
    void aReceiveRingIsReadOnFromWhereThePredecessorStopped() throws Exception {
        Sh.run("ip", "link", "add", "tolu6", "type", "veth", "peer", "name", "tolu7");
        try {
            Sh.run("ip", "link", "set", "tolu6", "up");
            Sh.run("ip", "link", "set", "tolu7", "up");
            int ifindex = Integer.parseInt(AgentProcess.sys("tolu6", "ifindex"));
            try (PacketSocket original = PacketSocket.open("tolu6", ifindex);
                 PacketSocket sender = PacketSocket.open("tolu7")) {
                original.enableVnetHeader();
                dev.tapover.natives.RxRing ring = original.mapRxRing(2048, 64);
                for (int tag = 1; tag <= 3; tag++) {
                    sender.send(frame(tag));
                }
                awaitSlot(ring);
                assertEquals(1, ring.memory().get(ring.frameOffset() + 14), "the predecessor reads frame 1");
                ring.release();
                int position = ring.position();
                assertEquals(1, position);
                int[] received = passThroughSocket(original.fd());
                original.close(); // unmaps the predecessor's view of the ring; the socket lives on
                try (PacketSocket adopted = PacketSocket.adopt(received[0], "tolu6", false)) {
                    dev.tapover.natives.RxRing again = adopted.mapExistingRxRing(2048, ring.frames(), position);
                    for (int tag = 2; tag <= 3; tag++) {
                        awaitSlot(again);
                        assertEquals(tag, again.memory().get(again.frameOffset() + 14),
                                "frames queued in the ring during the handoff come out in order");
                        again.release();
                    }
                    sender.send(frame(4));
                    awaitSlot(again);
                    assertEquals(4, again.memory().get(again.frameOffset() + 14), "and new ones follow");
                }
            }
        } finally {
            Sh.tryRun("ip", "link", "del", "tolu6");
        }
    }

    @Test
    void aPacketSocketKeepsItsBindingAndQueuedFramesAcrossTheHandoff() throws Exception {
        Sh.run("ip", "link", "add", "tolu4", "type", "veth", "peer", "name", "tolu5");
        try {
            Sh.run("ip", "link", "set", "tolu4", "up");
            Sh.run("ip", "link", "set", "tolu5", "up");
            int ifindex = Integer.parseInt(AgentProcess.sys("tolu4", "ifindex"));
            try (PacketSocket original = PacketSocket.open("tolu4", ifindex);
                 PacketSocket sender = PacketSocket.open("tolu5")) {
                original.setPromiscuous(true);
                FileStat st = FileStat.of(original.fd());
                FdEntry entry = new FdEntry("packet/tolu4", FdKind.PACKET, "tolu4", ifindex, 0, 0, true, false, st.dev(),
                        st.ino());
                ByteBuffer frame = ByteBuffer.allocateDirect(60);
                frame.put(new byte[] {2, 0, 0x5e, 0, 0x53, 9, 2, 0, 0x5e, 0, 0x53, 8, (byte) 0x88, (byte) 0xb5, 42});
                frame.position(60).flip();
                sender.send(frame); // queued in the socket while "frozen"
                int[] received = passThroughSocket(original.fd());
                FdCheck.verify(List.of(entry), List.of(FdCheck.probe(received[0])), false);
                original.close();
                try (PacketSocket adopted = PacketSocket.adopt(received[0], "tolu4", true)) {
                    assertEquals(ifindex, adopted.ifindex());
                    assertTrue(adopted.isPromiscuous());
                    ByteBuffer in = ByteBuffer.allocateDirect(2048);
                    long deadline = System.nanoTime() + 2_000_000_000L;
                    int n = 0;
                    while (n == 0 && System.nanoTime() < deadline) {
                        n = adopted.receive(in);
                    }
                    assertEquals(60, n, "the frame queued before the handoff is read by the adopter");
                    assertEquals(42, in.get(14));
                    assertTrue(Sh.run("ip", "-d", "link", "show", "tolu4").contains("promiscuity 1"),
                            "the promiscuous membership went along with the socket");
                }
            }
        } finally {
            Sh.tryRun("ip", "link", "del", "tolu4");
        }
    }
}
