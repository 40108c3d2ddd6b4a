// An in-memory LinkOpener for announcer tests: links with ifindexes, recorded sends, injectable failures.
package dev.tapover.announce;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

final class FakeLinks implements LinkOpener {
    /** One frame that went out, on which link and through which open handle (1, 2, ...). */
    record Sent(String link, int handle, byte[] frame) {
    }

    final Map<String, Integer> ifindex = new HashMap<>();
    final List<Sent> sent = new ArrayList<>();
    final List<String> opened = new ArrayList<>();
    final Set<String> failOpen = new HashSet<>();
    final Set<String> failSend = new HashSet<>();
    int openHandles;
    /** Runs at the start of every open (e.g. to hold the worker inside its I/O). */
    Runnable beforeOpen = () -> { };
    private int handles;

    FakeLinks with(String name, int index) {
        ifindex.put(name, index);
        return this;
    }

    @Override
    public int ifindex(String ifname) {
        return ifindex.getOrDefault(ifname, -1);
    }

    @Override
    public LinkSender open(String ifname) throws IOException {
        beforeOpen.run();
        if (failOpen.contains(ifname)) {
            throw new IOException("cannot open " + ifname + ": injected");
        }
        opened.add(ifname);
        openHandles++;
        int handle = ++handles;
        return new LinkSender() {
            private boolean closed;

            @Override
            public void send(byte[] frame) throws IOException {
                if (closed) {
                    throw new IllegalStateException("send on a closed handle");
                }
                if (failSend.contains(ifname)) {
                    throw new IOException("send: No such device or address (injected)");
                }
                sent.add(new Sent(ifname, handle, frame));
            }

            @Override
            public void close() {
                if (!closed) {
                    closed = true;
                    openHandles--;
                }
            }
        };
    }

    List<Sent> drain() {
        List<Sent> out = new ArrayList<>(sent);
        sent.clear();
        return out;
    }
}
