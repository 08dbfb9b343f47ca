package io.camelrsync.fs;

import com.sun.jna.LastErrorException;
import java.io.IOException;

/** A failed system call: rsync's wording ({@code mkdir "x" failed: File exists (17)}) with the errno kept. */
public final class FsException extends IOException {
    private final int errno;

    FsException(String call, String name, LastErrorException e) {
        super(call + " \"" + name + "\" failed: " + describe(e) + " (" + e.getErrorCode() + ")");
        this.errno = e.getErrorCode();
    }

    FsException(String message, int errno) {
        super(message);
        this.errno = errno;
    }

    public int errno() {
        return errno;
    }

    public boolean notFound() {
        return errno == LibC.ENOENT;
    }

    /** A component that is a symlink, or not a directory: what confinement refuses to walk through. */
    public boolean notConfinable() {
        return errno == LibC.ELOOP || errno == LibC.ENOTDIR || errno == LibC.EXDEV;
    }

    /** A component that is not a directory (openat2 reports a symlink on the way as ELOOP instead). */
    public boolean notDirectory() {
        return errno == LibC.ENOTDIR;
    }

    public boolean exists() {
        return errno == LibC.EEXIST;
    }

    /** A directory where a non-directory was to go (rename, link). */
    public boolean isDirectory() {
        return errno == LibC.EISDIR;
    }

    /** rmdir of a directory that still has entries. */
    public boolean notEmpty() {
        return errno == LibC.ENOTEMPTY;
    }

    private static String describe(LastErrorException e) {
        // JNA's message is "[errno] strerror text"
        String m = e.getMessage();
        int close = m == null ? -1 : m.indexOf("] ");
        return close < 0 ? "errno " + e.getErrorCode() : m.substring(close + 2);
    }
}
