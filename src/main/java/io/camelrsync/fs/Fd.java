package io.camelrsync.fs;

import com.sun.jna.LastErrorException;
import java.io.IOException;

/** The calls on an open descriptor that a directory and a file share; {@code name} is for the error text. */
final class Fd {
    private Fd() {
    }

    static Stat stat(int fd, String name) throws IOException {
        byte[] buf = new byte[256];
        try {
            LibC.statx(fd, new byte[1], LibC.AT_EMPTY_PATH, LibC.STATX_BASIC_STATS, buf);
        } catch (LastErrorException e) {
            throw new FsException("fstat", name, e);
        }
        return Stat.decode(buf);
    }

    static void chmod(int fd, String name, int mode) throws IOException {
        try {
            LibC.fchmod(fd, mode);
        } catch (LastErrorException e) {
            throw new FsException("chmod", name, e);
        }
    }

    /** -1 leaves that id as it is. */
    static void chown(int fd, String name, int uid, int gid) throws IOException {
        try {
            LibC.fchown(fd, uid, gid);
        } catch (LastErrorException e) {
            throw new FsException("chown", name, e);
        }
    }

    /** The modification time; the access time is left alone. */
    static void setMtime(int fd, String name, long seconds, int nanos) throws IOException {
        try {
            LibC.futimens(fd, new long[] {0, LibC.UTIME_OMIT, seconds, nanos});
        } catch (LastErrorException e) {
            throw new FsException("utimes", name, e);
        }
    }
}
