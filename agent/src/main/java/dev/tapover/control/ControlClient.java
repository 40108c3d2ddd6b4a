// A small blocking client of the control socket on plain JDK 17 UNIX-domain channels (no Netty, quick to start).
package dev.tapover.control;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import com.fasterxml.jackson.core.type.TypeReference;

/**
 * Connects, writes request lines and reads response or event lines, each as a map in wire order. Not
 * thread-safe; one client per conversation.
 */
public final class ControlClient implements AutoCloseable {
    /** Longest answer line accepted (a status document of many groups stays far below). */
    private static final int MAX_LINE_BYTES = 16 * 1024 * 1024;
    private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {
    };

    private final Path socket;
    private final SocketChannel channel;
    private final Selector selector;
    private final ByteBuffer readBuffer = ByteBuffer.allocate(64 * 1024);
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
    private boolean endOfStream;
    private IOException writeFailure;
    private int nextId = 1;

    private ControlClient(Path socket, SocketChannel channel, Selector selector) {
        this.socket = socket;
        this.channel = channel;
        this.selector = selector;
    }

    /** Connects to the agent's socket. */
    public static ControlClient connect(Path socket) throws ControlClientException {
        if (Files.exists(socket, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(socket) && !isSocket(socket)) {
            throw new ControlClientException(ControlClientException.Reason.NOT_A_SOCKET,
                    socket + " is not a socket; pass the agent's control socket with --control SOCKET");
        }
        SocketChannel channel = null;
        try {
            channel = SocketChannel.open(StandardProtocolFamily.UNIX);
            channel.connect(UnixDomainSocketAddress.of(socket));
            channel.configureBlocking(false);
            Selector selector = Selector.open();
            channel.register(selector, SelectionKey.OP_READ);
            return new ControlClient(socket, channel, selector);
        } catch (IOException e) {
            closeQuietly(channel);
            throw connectFailure(socket, e);
        }
    }

    /** The path this client is connected to. */
    public Path socket() {
        return socket;
    }

    /**
     * Sends {@code request} and returns the first line answering it. A write that fails because the agent
     * already hung up (e.g. after refusing this peer) is forgiven if the agent's line is there to read.
     */
    public Map<String, Object> call(Map<String, Object> request, Duration timeout) throws ControlClientException {
        send(request);
        Map<String, Object> answer = readLine(timeout);
        if (answer == null) {
            throw new ControlClientException(ControlClientException.Reason.CLOSED, "the tapover agent on " + socket
                    + " closed the connection without answering; check its log", writeFailure);
        }
        return answer;
    }

    /** Builds a request with a fresh id. */
    public Map<String, Object> request(String cmd, String group, String to) {
        return ControlProtocol.request(Integer.toString(nextId++), cmd, group, to);
    }

    /** Writes one request line; a broken pipe is remembered for {@link #call} rather than thrown. */
    public void send(Map<String, Object> request) throws ControlClientException {
        ByteBuffer line = ByteBuffer.wrap(ControlProtocol.toLine(request));
        try (Selector writable = Selector.open()) {
            while (line.hasRemaining()) {
                if (channel.write(line) == 0) {
                    // the socket buffer is full: wait on a selector of our own, the reading one stays as it is
                    SelectionKey key = channel.register(writable, SelectionKey.OP_WRITE);
                    writable.select(1000);
                    key.cancel();
                    writable.selectNow();
                }
            }
        } catch (IOException e) {
            writeFailure = e;
        }
    }

    /**
     * The next line as a map, or null when the agent closed the connection. {@code timeout} null waits as
     * long as it takes (event streams).
     */
    public Map<String, Object> readLine(Duration timeout) throws ControlClientException {
        long deadline = timeout == null ? Long.MAX_VALUE : System.nanoTime() + timeout.toNanos();
        while (true) {
            byte[] line = takeLine();
            if (line != null) {
                return parse(line);
            }
            if (endOfStream) {
                if (pending.size() > 0) {
                    byte[] rest = pending.toByteArray();
                    pending.reset();
                    return parse(rest);
                }
                return null;
            }
            long waitMillis = 0;
            if (timeout != null) {
                long remaining = deadline - System.nanoTime();
                if (remaining <= 0) {
                    throw new ControlClientException(ControlClientException.Reason.TIMEOUT, "the tapover agent on "
                            + socket + " did not answer within " + timeout.toSeconds() + " s; check its log");
                }
                waitMillis = Math.max(1, remaining / 1_000_000);
            }
            fill(waitMillis);
        }
    }

    private void fill(long waitMillis) throws ControlClientException {
        try {
            selector.select(waitMillis);
            selector.selectedKeys().clear();
            readBuffer.clear();
            int n = channel.read(readBuffer);
            if (n < 0) {
                endOfStream = true;
            } else if (n > 0) {
                pending.write(readBuffer.array(), 0, n);
                if (pending.size() > MAX_LINE_BYTES && indexOfNewline(pending.toByteArray()) < 0) {
                    throw new ControlClientException(ControlClientException.Reason.PROTOCOL, "the agent on " + socket
                            + " sent a line longer than " + MAX_LINE_BYTES + " bytes; check its version");
                }
            }
        } catch (ControlClientException e) {
            throw e;
        } catch (IOException e) {
            if (String.valueOf(e.getMessage()).contains("Connection reset")) {
                endOfStream = true; // the agent closed with our request unread (e.g. it refused us): same as EOF
                return;
            }
            throw new ControlClientException(ControlClientException.Reason.IO, "reading from the tapover agent on "
                    + socket + " failed (" + e.getMessage() + "); check its log", e);
        }
    }

    private byte[] takeLine() {
        byte[] bytes = pending.toByteArray();
        int newline = indexOfNewline(bytes);
        if (newline < 0) {
            return null;
        }
        pending.reset();
        pending.write(bytes, newline + 1, bytes.length - newline - 1);
        byte[] line = new byte[newline];
        System.arraycopy(bytes, 0, line, 0, newline);
        return line;
    }

    private static int indexOfNewline(byte[] bytes) {
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == '\n') {
                return i;
            }
        }
        return -1;
    }

    private Map<String, Object> parse(byte[] line) throws ControlClientException {
        try {
            Map<String, Object> map = ControlProtocol.JSON.readValue(line, MAP);
            if (map == null) {
                throw new IOException("null");
            }
            return map;
        } catch (IOException e) {
            throw new ControlClientException(ControlClientException.Reason.PROTOCOL, "the agent on " + socket
                    + " sent a line that is not a JSON object; is it a tapover control socket?", e);
        }
    }

    @Override
    public void close() {
        try {
            selector.close();
        } catch (IOException e) {
            // nothing to do
        }
        closeQuietly(channel);
    }

    private static ControlClientException connectFailure(Path socket, IOException e) {
        String message = String.valueOf(e.getMessage());
        if (e instanceof ConnectException || message.contains("No such file") || message.contains("refused")) {
            return new ControlClientException(ControlClientException.Reason.NO_AGENT,
                    "no tapover agent answers on " + socket, e);
        }
        if (message.contains("Permission denied")) {
            return new ControlClientException(ControlClientException.Reason.NOT_PERMITTED,
                    "permission denied on " + socket, e);
        }
        return new ControlClientException(ControlClientException.Reason.IO,
                "cannot connect to " + socket + " (" + message + ")", e);
    }

    private static boolean isSocket(Path path) {
        try {
            int mode = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            return (mode & 0170000) == 0140000;
        } catch (IOException | RuntimeException e) {
            return true; // let connect() report what is wrong
        }
    }

    private static void closeQuietly(SocketChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                // nothing to do
            }
        }
    }
}
