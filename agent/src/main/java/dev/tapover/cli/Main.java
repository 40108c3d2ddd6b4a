// Entry point of the tapover command line.
package dev.tapover.cli;

public final class Main {
    public static void main(String[] args) {
        System.out.println("tapover");
    }
}
