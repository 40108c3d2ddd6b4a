// Reads /sys/class/net/IF/carrier, which reflects netif_carrier_ok() at once (linkwatch may delay netlink by 1 s).
package dev.tapover.netlink;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The sysfs carrier probe. "1" is up, "0" down; a read refused with EINVAL means the link is admin-down
 * (the kernel only answers for running links), which counts as down; a missing file means the link was
 * removed or renamed.
 */
public final class SysfsCarrier implements CarrierProbe {
    private final Path root;
    private final ByteBuffer buf = ByteBuffer.allocate(8);

    /** Reads under /sys/class/net. */
    public SysfsCarrier() {
        this(Path.of("/sys/class/net"));
    }

    public SysfsCarrier(Path root) {
        this.root = root;
    }

    /** Not thread-safe: one instance per polling thread. */
    @Override
    public Reading read(String ifname) {
        if (ifname == null || ifname.isEmpty() || ifname.indexOf('/') >= 0 || ifname.startsWith(".")) {
            return Reading.ABSENT;
        }
        try (FileChannel ch = FileChannel.open(root.resolve(ifname).resolve("carrier"), StandardOpenOption.READ)) {
            buf.clear();
            int n = ch.read(buf, 0);
            if (n >= 1) {
                byte b = buf.get(0);
                if (b == '1') {
                    return Reading.UP;
                }
                if (b == '0') {
                    return Reading.DOWN;
                }
            }
            return Reading.UNREADABLE;
        } catch (NoSuchFileException e) {
            return Reading.ABSENT;
        } catch (IOException e) {
            // The JDK reports read(2)'s errno as strerror text; EINVAL = not running = admin-down.
            return "Invalid argument".equals(e.getMessage()) ? Reading.DOWN : Reading.UNREADABLE;
        }
    }
}
