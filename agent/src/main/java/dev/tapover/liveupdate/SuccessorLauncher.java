// Builds the command that starts the installed build as a successor: the same java and JVM flags, the jar, run --takeover.
package dev.tapover.liveupdate;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * "The installed build" is the jar this process was started from, read again now: after a package upgrade
 * replaced it, the successor runs the new code. $TAPOVER_SUCCESSOR_COMMAND (split on spaces, e.g.
 * {@code /usr/bin/tapover}) replaces the java part for installs that start tapover through their own
 * launcher. The successor gets only {@code run --takeover SOCKET}: its group comes in the session.
 */
public final class SuccessorLauncher {
    public static final String OVERRIDE = "TAPOVER_SUCCESSOR_COMMAND";

    private SuccessorLauncher() {
    }

    /**
     * @param env       the environment (for the override)
     * @param java      this JVM's executable
     * @param jvmArgs   this JVM's own arguments (RuntimeMXBean.getInputArguments())
     * @param codeSource where the agent's classes come from: a jar, or a classes directory in a source tree
     * @param classPath java.class.path, used when the code source is not a jar
     * @param takeover  the takeover socket
     */
    public static List<String> command(Map<String, String> env, String java, List<String> jvmArgs, Path codeSource,
                                       String classPath, Path takeover) {
        List<String> cmd = new ArrayList<>();
        String override = env.get(OVERRIDE);
        if (override != null && !override.isBlank()) {
            cmd.addAll(Arrays.asList(override.trim().split("\\s+")));
        } else {
            cmd.add(java);
            for (String arg : jvmArgs) {
                // a debugger agent would fight over its port; the successor starts without one
                if (!arg.startsWith("-agentlib:jdwp") && !arg.startsWith("-Xrunjdwp")) {
                    cmd.add(arg);
                }
            }
            if (codeSource.toString().endsWith(".jar")) {
                cmd.add("-jar");
                cmd.add(codeSource.toString());
            } else {
                cmd.add("-cp");
                cmd.add(classPath);
                cmd.add("dev.tapover.cli.Main");
            }
        }
        cmd.add("run");
        cmd.add("--takeover");
        cmd.add(takeover.toString());
        return cmd;
    }

    /** The command for this very process. */
    public static List<String> forThisProcess(Path takeover) {
        String javaPath = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> jvmArgs = java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments();
        Path codeSource;
        try {
            codeSource = Path.of(SuccessorLauncher.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (java.net.URISyntaxException | RuntimeException e) {
            codeSource = Path.of(".");
        }
        return command(System.getenv(), javaPath, jvmArgs, codeSource, System.getProperty("java.class.path"), takeover);
    }
}
