// A TAP device opened through /dev/net/tun: create or attach, MAC/MTU/carrier/persist, frame I/O.
package dev.tapover.natives;

import java.nio.ByteBuffer;

import jnr.ffi.Pointer;

/**
 * An open TAP queue (IFF_TAP | IFF_NO_PI, optionally IFF_VNET_HDR). The fd is non-blocking: wait with
 * a {@link Poller}, since a blocked read() cannot be interrupted from Java. Closing the last fd of a
 * non-persistent TAP deletes the interface.
 */
public final class TapDevice extends FileHandle {
    private static final String TUN_PATH = "/dev/net/tun";

    private final String name;
    private final boolean created;
    private final int tunFlags;

    private TapDevice(int fd, String name, boolean created, int tunFlags) {
        super(fd, "TAP \"" + name + "\"");
        this.name = name;
        this.created = created;
        this.tunFlags = tunFlags;
    }

    /**
     * Creates the TAP {@code name}, or attaches to it if it exists as a persistent TAP (the kernel
     * answers EBUSY when another process holds a single-queue TAP of that name).
     */
    public static TapDevice open(String name, boolean vnetHeader) throws NativeException {
        byte[] nameBytes = IfReq.checkName(name);
        boolean existed = exists(name);
        int fd = Errors.check(Native.LIBC.open(TUN_PATH, Linux.O_RDWR | Linux.O_CLOEXEC | Linux.O_NONBLOCK),
                "open", TUN_PATH + " for \"" + name + "\"");
        try {
            Pointer req = Native.allocate(IfReq.SIZE);
            req.put(0, nameBytes, 0, nameBytes.length);
            int flags = Linux.IFF_TAP | Linux.IFF_NO_PI | (vnetHeader ? Linux.IFF_VNET_HDR : 0);
            req.putShort(IfReq.UNION, (short) flags);
            Errors.check(Native.LIBC.ioctl(fd, Linux.TUNSETIFF, req), "ioctl(TUNSETIFF)",
                    TUN_PATH + " for \"" + name + "\"");
            return new TapDevice(fd, IfReq.name(req), !existed, flags);
        } catch (NativeException | RuntimeException e) {
            Native.LIBC.close(fd);
            throw e;
        }
    }

    /** Adopts an fd received from another process (live update); TUNGETIFF tells its name and flags. */
    public static TapDevice adopt(int fd) throws NativeException {
        Info info = describe(fd);
        if ((info.tunFlags() & Linux.IFF_TAP) == 0) {
            throw Errors.failure("adopt", "fd " + fd + " (a TUN device, not a TAP)", Errno.EINVAL);
        }
        TapDevice tap = new TapDevice(fd, info.name(), false, info.tunFlags());
        tap.setNonBlocking(true);
        return tap;
    }

    /** What TUNGETIFF says about an fd: the interface name and the IFF_* TUN flags. */
    public record Info(String name, int tunFlags) {
    }

    /** Reads the name and TUN flags of an fd without adopting it (a successor checks received fds so). */
    public static Info describe(int fd) throws NativeException {
        Pointer req = Native.allocate(IfReq.SIZE);
        Errors.check(Native.LIBC.ioctl(fd, Linux.TUNGETIFF, req), "ioctl(TUNGETIFF)", "fd " + fd);
        return new Info(IfReq.name(req), req.getShort(IfReq.UNION) & 0xffff);
    }

    /** TUNGETVNETHDRSZ: the virtio-net header size of an fd's queue (10 unless changed), without adopting it. */
    public static int vnetHeaderSize(int fd) throws NativeException {
        Pointer value = Native.allocate(4);
        Errors.check(Native.LIBC.ioctl(fd, Linux.TUNGETVNETHDRSZ, value), "ioctl(TUNGETVNETHDRSZ)", "fd " + fd);
        return value.getInt(0);
    }

    private static boolean exists(String name) {
        return Native.LIBC.if_nametoindex(name) != 0;
    }

    public String name() {
        return name;
    }

    /** Whether this open created the interface (as opposed to attaching to a persistent one). */
    public boolean created() {
        return created;
    }

    /** The IFF_* TUN flags the queue was opened with. */
    public int tunFlags() {
        return tunFlags;
    }

    public boolean hasVnetHeader() {
        return (tunFlags & Linux.IFF_VNET_HDR) != 0;
    }

    public int ifindex() throws NativeException {
        return NetDevice.indexOf(name);
    }

    /** TUNSETCARRIER: the carrier the host stack sees on the TAP (net_failover's master mirrors its slaves). */
    public void setCarrier(boolean carrier) throws NativeException {
        Pointer value = Native.allocate(4);
        value.putInt(0, carrier ? 1 : 0);
        Errors.check(Native.LIBC.ioctl(requireOpen(), Linux.TUNSETCARRIER, value), "ioctl(TUNSETCARRIER)",
                description());
    }

    /** TUNSETPERSIST: a persistent TAP survives the close of its last fd. */
    public void setPersistent(boolean persistent) throws NativeException {
        Errors.check(Native.LIBC.ioctl(requireOpen(), Linux.TUNSETPERSIST, persistent ? 1L : 0L),
                "ioctl(TUNSETPERSIST)", description());
    }

    /** TUNSETOFFLOAD with TUN_F_* bits; only meaningful with a vnet header. */
    public void setOffload(int tunFeatureBits) throws NativeException {
        Errors.check(Native.LIBC.ioctl(requireOpen(), Linux.TUNSETOFFLOAD, (long) tunFeatureBits),
                "ioctl(TUNSETOFFLOAD)", description());
    }

    /** TUNSETVNETHDRSZ (10 or 12 bytes). */
    public void setVnetHeaderSize(int size) throws NativeException {
        Pointer value = Native.allocate(4);
        value.putInt(0, size);
        Errors.check(Native.LIBC.ioctl(requireOpen(), Linux.TUNSETVNETHDRSZ, value), "ioctl(TUNSETVNETHDRSZ)",
                description());
    }

    /** TUNGETVNETHDRSZ: the vnet header size in effect (meaningful with IFF_VNET_HDR). */
    public int vnetHeaderSize() throws NativeException {
        Pointer value = Native.allocate(4);
        Errors.check(Native.LIBC.ioctl(requireOpen(), Linux.TUNGETVNETHDRSZ, value), "ioctl(TUNGETVNETHDRSZ)",
                description());
        return value.getInt(0);
    }

    /** TUNGETFEATURES: the IFF_* flags this kernel's TUN driver supports. */
    public int features() throws NativeException {
        Pointer value = Native.allocate(4);
        Errors.check(Native.LIBC.ioctl(requireOpen(), Linux.TUNGETFEATURES, value), "ioctl(TUNGETFEATURES)",
                description());
        return value.getInt(0);
    }

    public void setMac(byte[] mac) throws NativeException {
        NetDevice.setMac(name, mac);
    }

    public byte[] mac() throws NativeException {
        return NetDevice.mac(name);
    }

    public void setMtu(int mtu) throws NativeException {
        NetDevice.setMtu(name, mtu);
    }

    public void setUp(boolean up) throws NativeException {
        NetDevice.setUp(name, up);
    }

    /**
     * Reads one frame into {@code buf} (a direct buffer) at its position, advancing it.
     *
     * @return the frame length, or 0 when no frame is queued
     */
    public int read(ByteBuffer buf) throws NativeException {
        long n = Native.LIBC.read(requireOpen(), buf, buf.remaining());
        return Io.advance(buf, n, "read", description());
    }

    /**
     * Reads one frame into slot {@code slot} of {@code batch}, starting {@code offset} bytes into the slot.
     *
     * @return the frame length, or 0 when no frame is queued
     */
    public int read(FrameBatch batch, int slot, int offset) throws NativeException {
        long n = Native.LIBC.read(requireOpen(), batch.address(slot, offset), batch.slotSize() - offset);
        return result(n, "read");
    }

    /**
     * Writes {@code length} bytes of slot {@code slot}, from {@code offset} on, as one frame.
     *
     * @return {@code length}, or 0 when the queue is full (the frame was not taken)
     */
    public int write(FrameBatch batch, int slot, int offset, int length) throws NativeException {
        if (length > batch.slotSize() - offset) {
            throw new IndexOutOfBoundsException(length + " bytes from offset " + offset + " of a "
                    + batch.slotSize() + "-byte slot");
        }
        long n = Native.LIBC.write(requireOpen(), batch.address(slot, offset), length);
        return result(n, "write");
    }

    /** Writes {@code length} bytes of a packet socket's receive ring, from {@code offset} on, as one frame. */
    public int write(RxRing ring, int offset, int length) throws NativeException {
        long n = Native.LIBC.write(requireOpen(), ring.address(offset, length), length);
        return result(n, "write");
    }

    private int result(long n, String call) throws NativeException {
        if (n < 0) {
            int errno = Errors.lastErrno();
            if (errno == Errno.EAGAIN || errno == Errno.EINTR) {
                return 0;
            }
            throw Errors.failure(call, description(), errno);
        }
        return (int) n;
    }

    /**
     * Writes the bytes between position and limit as one frame, advancing the position.
     *
     * @return the bytes written, or 0 when the queue is full (the frame was not taken)
     */
    public int write(ByteBuffer buf) throws NativeException {
        long n = Native.LIBC.write(requireOpen(), buf, buf.remaining());
        return Io.advance(buf, n, "write", description());
    }
}
