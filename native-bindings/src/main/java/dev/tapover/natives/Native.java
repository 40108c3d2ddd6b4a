// Loads libc once through JNR-FFI and hands out the shared runtime for memory allocation.
package dev.tapover.natives;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;

/** The one place where the JNR library is loaded. */
public final class Native {
    /** The bound libc. */
    public static final LibC LIBC = LibraryLoader.create(LibC.class).load("c");
    static final Runtime RUNTIME = Runtime.getRuntime(LIBC);

    private Native() {
    }

    /** Zeroed native memory of the given size, freed by the garbage collector. */
    static Pointer allocate(int size) {
        return Memory.allocateDirect(RUNTIME, size, true);
    }

    /** Whether this process runs with effective uid 0. */
    public static boolean isRoot() {
        return LIBC.geteuid() == 0;
    }

    /** This process's PID as the kernel sees it. */
    public static int pid() {
        return LIBC.getpid();
    }
}
