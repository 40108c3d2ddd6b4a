// placeholder
package dev.tapover.natives;
public interface LibC {}
