// fstat(2) of an open fd: the file type and identity a live-update successor checks a received fd against.
package dev.tapover.natives;

import jnr.ffi.Pointer;

/**
 * What fstat says about an fd. Two fds refer to the same open socket when dev and ino match; every open of
 * /dev/net/tun has the character device's own dev/ino/rdev (10:200).
 *
 * <pre>
 * struct stat, x86_64 (144 bytes)              struct stat, arm64 / generic (128 bytes)
 *  0 st_dev   8 st_ino   16 st_nlink (u64)      0 st_dev   8 st_ino   16 st_mode (u32)  20 st_nlink (u32)
 *  24 st_mode (u32)  28 st_uid  32 st_gid        24 st_uid  28 st_gid  32 st_rdev
 *  40 st_rdev ...
 * </pre>
 *
 * @param dev  st_dev of the file
 * @param ino  st_ino of the file
 * @param mode st_mode (type bits and permissions)
 * @param rdev st_rdev (the device number of a device file, else 0)
 */
public record FileStat(long dev, long ino, int mode, long rdev) {
    private static final boolean X86_64 = "amd64".equals(System.getProperty("os.arch"))
            || "x86_64".equals(System.getProperty("os.arch"));
    private static final int SIZE = 256;

    /** fstat(2) of {@code fd}. */
    public static FileStat of(int fd) throws NativeException {
        Pointer buf = Native.allocate(SIZE);
        Errors.check(Native.LIBC.fstat(fd, buf), "fstat", "fd " + fd);
        if (X86_64) {
            return new FileStat(buf.getLong(0), buf.getLong(8), buf.getInt(24), buf.getLong(40));
        }
        return new FileStat(buf.getLong(0), buf.getLong(8), buf.getInt(16), buf.getLong(32));
    }

    /** The S_IFMT bits. */
    public int type() {
        return mode & Linux.S_IFMT;
    }

    public boolean isSocket() {
        return type() == Linux.S_IFSOCK;
    }

    public boolean isCharacterDevice() {
        return type() == Linux.S_IFCHR;
    }

    /** The major number of a device file (glibc's gnu_dev_major). */
    public int rdevMajor() {
        return (int) (((rdev >>> 32) & 0xfffff000L) | ((rdev >>> 8) & 0xfffL));
    }

    /** The minor number of a device file (glibc's gnu_dev_minor). */
    public int rdevMinor() {
        return (int) (((rdev >>> 12) & 0xffffff00L) | (rdev & 0xffL));
    }
}
