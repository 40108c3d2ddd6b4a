// Blocking rtnetlink requests on a private socket: add/remove addresses (acked) and dump links and addresses.
package dev.tapover.netlink;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.tapover.natives.Linux;
import dev.tapover.natives.NativeException;
import dev.tapover.natives.NetlinkSocket;
import dev.tapover.natives.Poller;

/**
 * One request at a time on its own NETLINK_ROUTE socket (no multicast groups), each bounded by a timeout.
 * A refusal becomes a {@link NetlinkException} naming the request, e.g.
 * {@code RTM_NEWADDR 192.0.2.1/24 on ifindex 7 failed: EEXIST (File exists)}. Thread-safe (synchronized).
 */
public final class RouteClient implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RouteClient.class);
    /** Dumps fill datagrams up to 32 KiB; a larger buffer never truncates one. */
    static final int RECEIVE_BUFFER = 64 * 1024;
    private static final int MAX_DUMP_ATTEMPTS = 5;

    private final NetlinkSocket socket;
    private final Poller poller;
    private final long timeoutNanos;
    private final LongSupplier nanoTime;
    private final ByteBuffer tx = ByteBuffer.allocateDirect(1024);
    private final ByteBuffer rx = ByteBuffer.allocateDirect(RECEIVE_BUFFER);
    private final NlMsg msg = new NlMsg();
    private final RtAttr attr = new RtAttr();
    private final BadMessageLog bad = new BadMessageLog(LOG, "route client");
    private int seq = 1;
    private long interruptedDumps;

    private RouteClient(NetlinkSocket socket, Poller poller, Duration timeout, LongSupplier nanoTime) {
        this.socket = socket;
        this.poller = poller;
        this.timeoutNanos = timeout.toNanos();
        this.nanoTime = nanoTime;
        poller.watch(0, socket.fd());
    }

    /** Opens a client whose requests time out after 2 s. */
    public static RouteClient open() throws NativeException {
        return open(Duration.ofSeconds(2), System::nanoTime);
    }

    public static RouteClient open(Duration timeout, LongSupplier nanoTime) throws NativeException {
        NetlinkSocket socket = NetlinkSocket.open(Linux.NETLINK_ROUTE);
        try {
            return new RouteClient(socket, new Poller(1), timeout, nanoTime);
        } catch (NativeException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    /** {@code ip address add ADDRESS/PREFIX dev IFINDEX}; fails with EEXIST when it is already there. */
    public void addAddress(int ifindex, InetAddress address, int prefixLength) throws IOException {
        addAddress(ifindex, address, prefixLength, 0);
    }

    /**
     * Adds an address with IFA_F_* flags (e.g. {@link Rtnl#IFA_F_NODAD} to skip IPv6 duplicate address
     * detection, so the address is usable at once).
     */
    public synchronized void addAddress(int ifindex, InetAddress address, int prefixLength, int ifaFlags)
            throws IOException {
        String what = "RTM_NEWADDR " + IfAddress.format(address) + "/" + prefixLength + " on ifindex " + ifindex;
        tx.clear();
        RtnlCodec.putAddressRequest(tx, ++seq, true, ifindex, address, prefixLength, ifaFlags);
        request(what);
    }

    /** {@code ip address del ADDRESS/PREFIX dev IFINDEX}; fails with EADDRNOTAVAIL when it is not there. */
    public synchronized void deleteAddress(int ifindex, InetAddress address, int prefixLength) throws IOException {
        String what = "RTM_DELADDR " + IfAddress.format(address) + "/" + prefixLength + " on ifindex " + ifindex;
        tx.clear();
        RtnlCodec.putAddressRequest(tx, ++seq, false, ifindex, address, prefixLength, 0);
        request(what);
    }

    /** All links of this network namespace, retried while the kernel flags the dump as interrupted. */
    public synchronized List<LinkInfo> dumpLinks() throws IOException {
        List<LinkInfo> links = new ArrayList<>();
        for (int attempt = 1;; attempt++) {
            links.clear();
            tx.clear();
            RtnlCodec.putLinkDumpRequest(tx, ++seq);
            boolean consistent = dump("RTM_GETLINK dump", (m, a) -> {
                if (m.type() == Rtnl.RTM_NEWLINK) {
                    links.add(RtnlCodec.decodeLink(m, a).link());
                }
            });
            if (consistent || attempt == MAX_DUMP_ATTEMPTS) {
                return links;
            }
        }
    }

    /** All IPv4 and IPv6 addresses of this network namespace, retried while interrupted. */
    public synchronized List<IfAddress> dumpAddresses() throws IOException {
        List<IfAddress> addresses = new ArrayList<>();
        for (int attempt = 1;; attempt++) {
            addresses.clear();
            tx.clear();
            RtnlCodec.putAddressDumpRequest(tx, ++seq, Rtnl.AF_UNSPEC);
            boolean consistent = dump("RTM_GETADDR dump", (m, a) -> {
                if (m.type() == Rtnl.RTM_NEWADDR) {
                    AddressMessage am = RtnlCodec.decodeAddress(m, a);
                    if (am != null) {
                        addresses.add(am.address());
                    }
                }
            });
            if (consistent || attempt == MAX_DUMP_ATTEMPTS) {
                return addresses;
            }
        }
    }

    /** How many dumps came back with NLM_F_DUMP_INTR (each was retried). */
    public synchronized long interruptedDumps() {
        return interruptedDumps;
    }

    /** Bad messages skipped in dump answers. */
    public long malformedMessages() {
        return bad.count();
    }

    @Override
    public synchronized void close() {
        socket.close();
        poller.close();
    }

    /** Sends the request in {@code tx} and waits for its ack. */
    private void request(String what) throws IOException {
        int mySeq = seq;
        send();
        long deadline = nanoTime.getAsLong() + timeoutNanos;
        while (true) {
            int end = receive(what, deadline);
            msg.wrap(rx, 0, end);
            try {
                while (msg.next()) {
                    if (msg.seq() != mySeq || msg.type() != Rtnl.NLMSG_ERROR) {
                        continue; // a late answer to an earlier, timed-out request
                    }
                    int status = msg.status();
                    if (status == 0) {
                        return;
                    }
                    throw NetlinkException.refused(what, -status, msg.extendedAckMessage(attr));
                }
            } catch (MalformedMessageException e) {
                throw NetlinkException.malformed(what, e.getMessage());
            }
        }
    }

    /**
     * Sends the dump request in {@code tx} and feeds every answer message to {@code handler} until NLMSG_DONE.
     *
     * @return false when the kernel flagged the dump NLM_F_DUMP_INTR (it should be repeated)
     */
    private boolean dump(String what, DumpReader.MessageHandler handler) throws IOException {
        DumpReader reader = new DumpReader(what, seq, handler, bad::record);
        send();
        long deadline = nanoTime.getAsLong() + timeoutNanos;
        while (!reader.accept(rx, receive(what, deadline))) {
            // next datagram
        }
        if (reader.interrupted()) {
            interruptedDumps++;
            LOG.debug("{} was interrupted by a change (NLM_F_DUMP_INTR): repeating it", what);
        }
        return !reader.interrupted();
    }

    private void send() throws NativeException {
        tx.flip();
        socket.send(tx);
    }

    /** Waits for and receives one datagram into {@code rx}; returns its length. */
    private int receive(String what, long deadline) throws IOException {
        while (true) {
            rx.clear();
            int n = socket.receive(rx);
            if (n > 0) {
                return Math.min(n, rx.capacity());
            }
            long left = deadline - nanoTime.getAsLong();
            if (left <= 0) {
                throw NetlinkException.timedOut(what, TimeUnit.NANOSECONDS.toMillis(timeoutNanos));
            }
            poller.poll((int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(left + 999_999)));
        }
    }
}
