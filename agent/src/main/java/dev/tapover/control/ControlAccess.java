// Who may use the control socket: root (or other listed uids) and, optionally, members of one group.
package dev.tapover.control;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.OptionalInt;
import java.util.Set;
import java.util.function.IntFunction;

/**
 * The policy the control server applies to each connection's peer credentials. With a group, the socket file
 * is made {@code 0660} and owned by that group, and a peer whose primary or supplementary groups include it
 * is let in; without one the socket is {@code 0600} and only the listed uids (root by default) get in.
 */
public final class ControlAccess {
    private final Set<Integer> uids;
    private final OptionalInt group;
    private final IntFunction<Set<Integer>> supplementaryGroups;

    private ControlAccess(Set<Integer> uids, OptionalInt group, IntFunction<Set<Integer>> supplementaryGroups) {
        this.uids = Set.copyOf(uids);
        this.group = group;
        this.supplementaryGroups = supplementaryGroups;
    }

    /** Root only; the socket file is 0600. */
    public static ControlAccess rootOnly() {
        return new ControlAccess(Set.of(0), OptionalInt.empty(), ControlAccess::groupsOfProcess);
    }

    /** Root and members of {@code gid}; the socket file is 0660 and owned by {@code gid}. */
    public static ControlAccess rootAndGroup(int gid) {
        return new ControlAccess(Set.of(0), OptionalInt.of(gid), ControlAccess::groupsOfProcess);
    }

    /** Exactly these uids and optionally a group (tests use this to refuse root). */
    public static ControlAccess of(Set<Integer> uids, OptionalInt group) {
        return new ControlAccess(uids, group, ControlAccess::groupsOfProcess);
    }

    /** As {@link #of}, with the supplementary-group lookup replaced (for tests). */
    static ControlAccess of(Set<Integer> uids, OptionalInt group, IntFunction<Set<Integer>> supplementaryGroups) {
        return new ControlAccess(uids, group, supplementaryGroups);
    }

    /** The group that may connect besides the listed uids, if any. */
    public OptionalInt group() {
        return group;
    }

    /** Whether this peer may use the control socket. */
    public boolean permits(PeerIdentity peer) {
        if (uids.contains(peer.uid())) {
            return true;
        }
        if (group.isEmpty()) {
            return false;
        }
        int gid = group.getAsInt();
        return peer.gid() == gid || supplementaryGroups.apply(peer.pid()).contains(gid);
    }

    /** The one-sentence refusal sent to a peer that is not permitted. */
    String refusal(PeerIdentity peer) {
        String who = group.isPresent() ? "root or a member of group " + group.getAsInt() : "root";
        return "uid " + peer.uid() + " may not use this control socket; run the command as " + who;
    }

    /** The supplementary groups of a process from /proc/PID/status, empty if it cannot be read. */
    static Set<Integer> groupsOfProcess(int pid) {
        try {
            return parseGroups(Files.readString(Path.of("/proc", Integer.toString(pid), "status")));
        } catch (IOException | RuntimeException e) {
            return Set.of();
        }
    }

    /** The numbers on the {@code Groups:} line of a /proc/PID/status text. */
    static Set<Integer> parseGroups(String status) {
        Set<Integer> groups = new HashSet<>();
        for (String line : status.split("\n")) {
            if (line.startsWith("Groups:")) {
                for (String gid : line.substring("Groups:".length()).trim().split("\\s+")) {
                    if (!gid.isEmpty()) {
                        groups.add(Integer.parseInt(gid));
                    }
                }
            }
        }
        return groups;
    }
}
