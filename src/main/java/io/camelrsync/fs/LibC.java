package io.camelrsync.fs;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;

/**
 * The libc calls Java 17 lacks: everything relative to a directory descriptor ({@code *at}), bound through JNA's
 * direct mapping (one native call each, errno as {@link LastErrorException}). Names are NUL-terminated bytes, so
 * a file name reaches the kernel exactly as it came off the wire. Constants are Linux's generic values (x86_64
 * and aarch64 alike).
 */
final class LibC {
    static final int O_RDONLY = 0;
    static final int O_WRONLY = 01;
    static final int O_CREAT = 0100;
    static final int O_EXCL = 0200;
    static final int O_NOCTTY = 0400;
    static final int O_NONBLOCK = 04000;
    static final int O_DIRECTORY = Platform.isARM() ? 040000 : 0200000;
    static final int O_NOFOLLOW = Platform.isARM() ? 0100000 : 0400000;
    static final int O_CLOEXEC = 02000000;

    static final int AT_FDCWD = -100;
    static final int AT_SYMLINK_NOFOLLOW = 0x100;
    static final int AT_REMOVEDIR = 0x200;
    static final int AT_EMPTY_PATH = 0x1000;

    static final long RESOLVE_NO_MAGICLINKS = 0x02;
    static final long RESOLVE_NO_SYMLINKS = 0x04;
    static final long RESOLVE_BENEATH = 0x08;

    static final int STATX_BASIC_STATS = 0x7ff;
    static final long UTIME_OMIT = (1L << 30) - 2;

    static final int ENOENT = 2;
    static final int EINTR = 4;
    static final int EAGAIN = 11;
    static final int EEXIST = 17;
    static final int EINVAL = 22;
    static final int ENOTDIR = 20;
    static final int EISDIR = 21;
    static final int ENOSYS = 38;
    static final int ENOTEMPTY = 39;
    static final int ELOOP = 40;
    static final int EXDEV = 18;
    static final int E2BIG = 7;

    /** openat2's syscall number: the same on x86_64 and the generic table (aarch64). */
    static final long SYS_OPENAT2 = 437;

    static {
        Native.register(LibC.class, NativeLibrary.getInstance(Platform.C_LIBRARY_NAME));
    }

    private LibC() {
    }

    static native int openat(int dirfd, byte[] name, int flags, int mode) throws LastErrorException;

    /** openat2(dirfd, path, struct open_how *, size): no glibc wrapper, so through syscall(2). */
    static native long syscall(long number, int dirfd, byte[] path, Pointer how, long size)
            throws LastErrorException;

    static native int close(int fd) throws LastErrorException;

    static native int mkdirat(int dirfd, byte[] name, int mode) throws LastErrorException;

    static native int symlinkat(byte[] target, int dirfd, byte[] name) throws LastErrorException;

    static native int linkat(int olddirfd, byte[] oldname, int newdirfd, byte[] newname, int flags)
            throws LastErrorException;

    static native int mknodat(int dirfd, byte[] name, int mode, long dev) throws LastErrorException;

    static native int renameat(int olddirfd, byte[] oldname, int newdirfd, byte[] newname)
            throws LastErrorException;

    static native int unlinkat(int dirfd, byte[] name, int flags) throws LastErrorException;

    static native int fchmodat(int dirfd, byte[] name, int mode, int flags) throws LastErrorException;

    static native int fchmod(int fd, int mode) throws LastErrorException;

    static native int fchownat(int dirfd, byte[] name, int uid, int gid, int flags) throws LastErrorException;

    static native int fchown(int fd, int uid, int gid) throws LastErrorException;

    static native int utimensat(int dirfd, byte[] name, long[] times, int flags) throws LastErrorException;

    static native int futimens(int fd, long[] times) throws LastErrorException;

    static native int statx(int dirfd, byte[] name, int flags, int mask, byte[] statxbuf) throws LastErrorException;

    /**
     * Calls whose failure is an expected answer: -1 and the errno in {@link Native#getLastError}, no exception. A
     * LastErrorException costs a formatted message and a stack trace (18 us against 2 us a call with C1), and the
     * generator stats every file of a pull into an empty directory, each one missing.
     */
    static final class Quiet {
        static {
            Native.register(Quiet.class, NativeLibrary.getInstance(Platform.C_LIBRARY_NAME));
        }

        private Quiet() {
        }

        static native int statx(int dirfd, byte[] name, int flags, int mask, byte[] statxbuf);
    }

    static native long readlinkat(int dirfd, byte[] name, byte[] buf, long size) throws LastErrorException;

    static native Pointer fdopendir(int fd) throws LastErrorException;

    static native Pointer readdir(Pointer dir) throws LastErrorException;

    static native int closedir(Pointer dir) throws LastErrorException;

    static native long pread(int fd, Pointer buf, long count, long offset) throws LastErrorException;

    static native long read(int fd, Pointer buf, long count) throws LastErrorException;

    static native long write(int fd, Pointer buf, long count) throws LastErrorException;

    static native long pwrite(int fd, Pointer buf, long count, long offset) throws LastErrorException;

    static native long lseek(int fd, long offset, int whence) throws LastErrorException;

    static native int ftruncate(int fd, long length) throws LastErrorException;

    static native int fsync(int fd) throws LastErrorException;

    /** A name as the kernel takes it: its bytes ({@link Names}) and a NUL. */
    static byte[] cstr(String s) {
        byte[] b = Names.encode(s);
        byte[] z = new byte[b.length + 1];
        System.arraycopy(b, 0, z, 0, b.length);
        return z;
    }

    static byte[] cstr(byte[] b) {
        byte[] z = new byte[b.length + 1];
        System.arraycopy(b, 0, z, 0, b.length);
        return z;
    }
}
