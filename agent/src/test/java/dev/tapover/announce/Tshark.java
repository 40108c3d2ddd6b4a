// Decodes pcap files with tshark (Wireshark's dissectors) so tests check frames independently of pcap4j.
package dev.tapover.announce;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs {@code tshark -r FILE -T fields}; a missing tshark fails the test, it never skips it. */
final class Tshark {
    private Tshark() {
    }

    /** One map per frame, field name to value ("" when the frame has no such field). */
    static List<Map<String, String>> fields(Path pcap, String... fields) {
        List<String> command = new ArrayList<>(List.of(executable(), "-n", "-r", pcap.toString(), "-T", "fields",
                "-E", "separator=|", "-E", "occurrence=f"));
        for (String field : fields) {
            command.add("-e");
            command.add(field);
        }
        String out = run(command);
        List<Map<String, String>> rows = new ArrayList<>();
        for (String line : out.split("\n")) {
            if (line.isEmpty()) {
                continue;
            }
            String[] values = line.split("\\|", -1);
            Map<String, String> row = new LinkedHashMap<>();
            for (int i = 0; i < fields.length; i++) {
                row.put(fields[i], i < values.length ? values[i] : "");
            }
            rows.add(row);
        }
        return rows;
    }

    /** tshark's one-line summary of each frame, as Wireshark's packet list shows it. */
    static String summary(Path pcap) {
        return run(List.of(executable(), "-n", "-r", pcap.toString()));
    }

    private static String run(List<String> command) {
        try {
            Path errors = Files.createTempFile("tshark", ".err");
            try {
                Process p = new ProcessBuilder(command).redirectError(errors.toFile()).start();
                byte[] out = p.getInputStream().readAllBytes();
                if (!p.waitFor(20, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    throw new AssertionError("tshark timed out: " + command);
                }
                if (p.exitValue() != 0) {
                    throw new AssertionError("tshark exited " + p.exitValue() + ": " + command + ": "
                            + Files.readString(errors).replace("Running as user \"root\" and group \"root\". This could be dangerous.\n", ""));
                }
                return new String(out, StandardCharsets.UTF_8);
            } finally {
                Files.deleteIfExists(errors);
            }
        } catch (IOException e) {
            throw new AssertionError("cannot run tshark: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static String executable() {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            Path candidate = Path.of(dir.isEmpty() ? "." : dir, "tshark");
            if (Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        throw new AssertionError("tshark is not installed: the frame checks need Wireshark's dissectors; "
                + "install it with apt-get install tshark (scripts/test.sh does)");
    }
}
