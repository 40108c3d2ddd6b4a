// A throwaway non-root user (useradd, runuser) is refused by the control socket: by file mode and by SO_PEERCRED.
package dev.tapover.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import dev.tapover.lab.Sh;

/**
 * Runs the real CLI jar (agent/target/tapover.jar, built by the package phase) as user {@code tovtest<pid>}
 * against a control server of this JVM. The user and its group are created here and deleted afterwards.
 */
@Tag("netns")
class ControlPermissionIT {
    private static final String USER = "tovtest" + ProcessHandle.current().pid();
    private static final String GROUP = "tovgrp" + ProcessHandle.current().pid();
    private static Path dir;
    private static Path jar;
    private static int uid;
    private static int gid;

    @BeforeAll
    static void createUserAndCopyTheJar() throws Exception {
        Sh.requireThrowawayNamespace();
        Path built = findJar();
        Sh.run("useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", USER);
        Sh.run("groupadd", "--system", GROUP);
        uid = Integer.parseInt(Sh.run("id", "-u", USER).trim());
        gid = Integer.parseInt(Sh.run("getent", "group", GROUP).split(":")[2]);
        dir = Files.createTempDirectory("tapover-perm");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        jar = dir.resolve("tapover.jar");
        Files.copy(built, jar, StandardCopyOption.REPLACE_EXISTING);
        Files.setPosixFilePermissions(jar, PosixFilePermissions.fromString("rw-r--r--"));
    }

    @AfterAll
    static void deleteUser() throws Exception {
        Sh.tryRun("userdel", USER);
        Sh.tryRun("groupdel", GROUP);
        if (dir != null) {
            Sh.tryRun("rm", "-rf", dir.toString());
        }
        assertTrue(Sh.tryRun("id", USER).exit() != 0, "the throwaway user is gone");
    }

    /** agent/target/tapover.jar from the module directory (failsafe's working directory) or the repository root. */
    static Path findJar() {
        for (Path base = Path.of("").toAbsolutePath(); base != null; base = base.getParent()) {
            for (Path candidate : new Path[] {base.resolve("target/tapover.jar"), base.resolve("agent/target/tapover.jar")}) {
                if (Files.isRegularFile(candidate)) {
                    return candidate;
                }
            }
        }
        throw new AssertionError("agent/target/tapover.jar not found: run the tests through mvn verify (the package "
                + "phase builds it)");
    }

    /** `tapover status --control SOCKET` as the throwaway user. */
    private static Sh.Result statusAsUser(Path socket) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return Sh.tryRun("runuser", "-u", USER, "--", java, "-jar", jar.toString(), "status", "--control",
                socket.toString());
    }

    @Test
    void rootOnlySocketRefusesByFileMode() throws Exception {
        Path socket = dir.resolve("mode.sock");
        try (ControlServer server = ControlServer.start(socket, new FakeControlHandler())) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
            Sh.Result r = statusAsUser(socket);
            assertEquals(77, r.exit(), r.output());
            assertTrue(r.output().contains("tapover: permission denied on " + socket + "; run the command as root "
                    + "(sudo) or as a member of the agent's control group"), r.output());
        }
    }

    @Test
    void peerCredentialsRefuseAUserOutsideTheControlGroupEvenWhenTheFileLetsItIn() throws Exception {
        Path socket = dir.resolve("cred.sock");
        FakeControlHandler handler = new FakeControlHandler();
        try (ControlServer server = ControlServer.start(socket, handler, ControlAccess.rootAndGroup(gid))) {
            assertEquals("rw-rw----", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
            // Open the file lock wide, so only the SO_PEERCRED check stands between the user and the agent.
            Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw-rw-"));
            Sh.Result r = statusAsUser(socket);
            assertEquals(77, r.exit(), r.output());
            assertTrue(r.output().contains("tapover: uid " + uid + " may not use this control socket; run the "
                    + "command as root or a member of group " + gid), r.output());
            assertTrue(!handler.calls.contains("status"), "the refused request never reached the agent");
        }
    }

    @Test
    void aMemberOfTheControlGroupIsLetIn() throws Exception {
        Sh.run("usermod", "-a", "-G", GROUP, USER);
        try {
            Path socket = dir.resolve("group.sock");
            FakeControlHandler handler = new FakeControlHandler();
            try (ControlServer server = ControlServer.start(socket, handler, ControlAccess.rootAndGroup(gid))) {
                Sh.Result r = statusAsUser(socket);
                assertEquals(0, r.exit(), r.output());
                assertTrue(r.output().contains("fo0"), r.output());
                assertTrue(handler.calls.contains("status"));
            }
        } finally {
            Sh.run("gpasswd", "-d", USER, GROUP);
        }
    }
}
