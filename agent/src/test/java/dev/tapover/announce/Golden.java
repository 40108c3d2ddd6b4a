// Golden files for frame tests: one pcap per test, compared byte for byte (pcap4j-packettest style).
package dev.tapover.announce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;

/**
 * Golden files live in {@code src/test/resources/announce/<TestClass>/<test>.pcap}. Run the tests once
 * with {@code -Dtapover.golden.update=true} to rewrite them from the builder, then check them with
 * tshark ({@link AnnouncementFramesTsharkTest} does) before committing.
 */
final class Golden {
    static final String DIR = "announce/AnnouncementFramesTest/";

    private Golden() {
    }

    static void assertMatches(String test, List<byte[]> frames) {
        byte[] actual = PcapFiles.write(frames);
        String resource = DIR + test + ".pcap";
        if (Boolean.getBoolean("tapover.golden.update")) {
            try {
                Path file = Path.of("src/test/resources").resolve(resource);
                Files.createDirectories(file.getParent());
                Files.write(file, actual);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return;
        }
        byte[] expected;
        try (InputStream in = Golden.class.getClassLoader().getResourceAsStream(resource)) {
            assertNotNull(in, "golden file " + resource + " is missing: run once with -Dtapover.golden.update=true");
            expected = in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<byte[]> golden = PcapFiles.read(expected);
        assertEquals(golden.size(), frames.size(), test + ": frame count");
        HexFormat hex = HexFormat.of();
        for (int i = 0; i < golden.size(); i++) {
            assertEquals(hex.formatHex(golden.get(i)), hex.formatHex(frames.get(i)), test + ": frame " + i);
        }
        assertEquals(hex.formatHex(expected), hex.formatHex(actual), test + ": whole file");
    }

    /** The golden file on disk (for tshark). */
    static Path path(String test) {
        try {
            var url = Golden.class.getClassLoader().getResource(DIR + test + ".pcap");
            assertNotNull(url, "golden file " + test + ".pcap is missing");
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
