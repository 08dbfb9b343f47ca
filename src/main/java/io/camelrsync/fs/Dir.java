package io.camelrsync.fs;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An open directory, and every operation on one of its entries by name relative to it (rsync 3.4's
 * secure_relative_open, Go's os.Root): a name is one component, never {@code .}, {@code ..} or containing
 * {@code /}, and no call follows a symlink, so nothing done through a Dir can reach outside the tree it was
 * opened in, whatever another process renames meanwhile. Reference-counted: threads that share a cached Dir
 * {@link #retain()} it, and the descriptor closes with the last {@link #close()}.
 */
public final class Dir implements AutoCloseable {
    private static final int DIR_FLAGS = LibC.O_RDONLY | LibC.O_DIRECTORY | LibC.O_NOFOLLOW | LibC.O_CLOEXEC;
    /** Whether openat2 is there (Linux 5.6+); found out on first use. */
    private static volatile boolean openat2 = true;

    private final int fd;
    private final String name;
    private final AtomicInteger refs = new AtomicInteger(1);

    private Dir(int fd, String name) {
        this.fd = fd;
        this.name = name;
    }

    /**
     * Opens a trusted directory by its absolute path (a module's path from the daemon's own config, followed as
     * rsync's chdir into it follows it). Everything below it is then reached through descriptors only.
     */
    public static Dir open(Path absolute) throws IOException {
        String p = absolute.toAbsolutePath().toString();
        try {
            return new Dir(LibC.openat(LibC.AT_FDCWD, LibC.cstr(p), LibC.O_RDONLY | LibC.O_DIRECTORY
                    | LibC.O_CLOEXEC, 0), p);
        } catch (LastErrorException e) {
            throw new FsException("opendir", p, e);
        }
    }

    public String name() {
        return name;
    }

    /** For tests: the component walk that kernels without openat2 get. */
    static void openat2(boolean use) {
        openat2 = use;
    }

    /** Another holder of this descriptor. */
    public Dir retain() {
        if (refs.getAndIncrement() <= 0) {
            refs.decrementAndGet();
            throw new IllegalStateException("directory " + name + " already closed");
        }
        return this;
    }

    @Override
    public void close() {
        if (refs.decrementAndGet() == 0) {
            try {
                LibC.close(fd);
            } catch (LastErrorException ignored) {
                // nothing to do about a failed close of a directory
            }
        }
    }

    private static byte[] leaf(String name) throws FsException {
        if (name.isEmpty() || name.equals(".") || name.equals("..") || name.indexOf('/') >= 0
                || name.indexOf('\0') >= 0) {
            throw new FsException("refusing the name \"" + name + "\": not a single path component", LibC.EINVAL);
        }
        return LibC.cstr(name);
    }

    /** A subdirectory, never through a symlink. */
    public Dir openDir(String child) throws IOException {
        try {
            return new Dir(LibC.openat(fd, leaf(child), DIR_FLAGS, 0), child);
        } catch (LastErrorException e) {
            throw new FsException("opendir", child, e);
        }
    }

    /**
     * A directory some components below: one openat2 confined beneath this one with no symlink anywhere, or,
     * on kernels without it, one O_NOFOLLOW open per component.
     */
    public Dir openPath(String relative) throws IOException {
        for (String part : relative.split("/", -1)) {
            leaf(part);
        }
        if (openat2) {
            try (Memory how = new Memory(24)) {
                how.setLong(0, DIR_FLAGS);
                how.setLong(8, 0);
                how.setLong(16, LibC.RESOLVE_BENEATH | LibC.RESOLVE_NO_SYMLINKS | LibC.RESOLVE_NO_MAGICLINKS);
                try {
                    return new Dir((int) LibC.syscall(LibC.SYS_OPENAT2, fd, LibC.cstr(relative), how, 24), relative);
                } catch (LastErrorException e) {
                    if (e.getErrorCode() == LibC.ENOSYS || e.getErrorCode() == LibC.E2BIG) {
                        openat2 = false; // an old kernel: walk instead from now on
                    } else if (e.getErrorCode() == LibC.EAGAIN || e.getErrorCode() == LibC.EINTR) {
                        return walk(relative); // a concurrent rename made the kernel give up; the walk has no such retry
                    } else {
                        throw new FsException("opendir", relative, e);
                    }
                }
            }
        }
        return walk(relative);
    }

    private Dir walk(String relative) throws IOException {
        Dir d = retain();
        for (String part : relative.split("/")) {
            try (Dir parent = d) {
                d = parent.openDir(part);
            }
        }
        return d;
    }

    /** lstat: null when there is no such entry. */
    public Stat stat(String child) throws IOException {
        byte[] buf = new byte[256];
        byte[] name = leaf(child);
        // a missing entry is the common answer (every file of a pull into an empty directory): no exception for it
        if (LibC.Quiet.statx(fd, name, LibC.AT_SYMLINK_NOFOLLOW, LibC.STATX_BASIC_STATS, buf) != 0) {
            if (Native.getLastError() == LibC.ENOENT) {
                return null;
            }
            try { // any other failure: once more, for JNA's exception with the system's wording
                LibC.statx(fd, name, LibC.AT_SYMLINK_NOFOLLOW, LibC.STATX_BASIC_STATS, buf);
            } catch (LastErrorException e) {
                if (e.getErrorCode() == LibC.ENOENT) {
                    return null;
                }
                throw new FsException("lstat", child, e);
            }
        }
        return Stat.decode(buf);
    }

    /** This directory's own attributes. */
    public Stat stat() throws IOException {
        return Fd.stat(fd, name);
    }

    public void mkdir(String child, int mode) throws IOException {
        try {
            LibC.mkdirat(fd, leaf(child), mode);
        } catch (LastErrorException e) {
            throw new FsException("mkdir", child, e);
        }
    }

    /** A symlink holding {@code target} byte for byte (a "//" or a trailing "/" included). */
    public void symlink(byte[] target, String child) throws IOException {
        try {
            LibC.symlinkat(LibC.cstr(target), fd, leaf(child));
        } catch (LastErrorException e) {
            throw new FsException("symlink", child, e);
        }
    }

    public byte[] readlink(String child) throws IOException {
        byte[] buf = new byte[4097];
        try {
            long n = LibC.readlinkat(fd, leaf(child), buf, buf.length);
            return java.util.Arrays.copyOf(buf, (int) n);
        } catch (LastErrorException e) {
            throw new FsException("readlink", child, e);
        }
    }

    /** The target of the symlink at {@code path} (any bytes, not only UTF-8), as readlink(2) gives it. */
    public static byte[] readlink(byte[] path) throws IOException {
        byte[] buf = new byte[4097];
        try {
            long n = LibC.readlinkat(LibC.AT_FDCWD, LibC.cstr(path), buf, buf.length);
            return java.util.Arrays.copyOf(buf, (int) n);
        } catch (LastErrorException e) {
            throw new FsException("readlink", Names.decode(path), e);
        }
    }

    /** A hard link {@code child} to {@code from/fromName} (the source itself is not followed if a symlink). */
    public void link(Dir from, String fromName, String child) throws IOException {
        try {
            LibC.linkat(from.fd, leaf(fromName), fd, leaf(child), 0);
        } catch (LastErrorException e) {
            throw new FsException("link", child, e);
        }
    }

    /** FIFOs, sockets and device nodes ({@code mode} carries the type bits). */
    public void mknod(String child, int mode, long major, long minor) throws IOException {
        long dev = ((major & 0xfffff000L) << 32) | ((major & 0xfffL) << 8) | ((minor & 0xffffff00L) << 12)
                | (minor & 0xffL);
        try {
            LibC.mknodat(fd, leaf(child), mode, dev);
        } catch (LastErrorException e) {
            throw new FsException("mknod", child, e);
        }
    }

    /** rename(2) within the tree: replaces what {@code to} names, atomically. */
    public void rename(String from, Dir toDir, String to) throws IOException {
        try {
            LibC.renameat(fd, leaf(from), toDir.fd, leaf(to));
        } catch (LastErrorException e) {
            throw new FsException("rename", from, e);
        }
    }

    public void unlink(String child) throws IOException {
        try {
            LibC.unlinkat(fd, leaf(child), 0);
        } catch (LastErrorException e) {
            throw new FsException("unlink", child, e);
        }
    }

    public void rmdir(String child) throws IOException {
        try {
            LibC.unlinkat(fd, leaf(child), LibC.AT_REMOVEDIR);
        } catch (LastErrorException e) {
            throw new FsException("rmdir", child, e);
        }
    }

    /** chmod without following a symlink (glibc refuses rather than follow one). */
    public void chmod(String child, int mode) throws IOException {
        try {
            LibC.fchmodat(fd, leaf(child), mode, LibC.AT_SYMLINK_NOFOLLOW);
        } catch (LastErrorException e) {
            throw new FsException("chmod", child, e);
        }
    }

    /** lchown; -1 leaves that id as it is. */
    public void chown(String child, int uid, int gid) throws IOException {
        try {
            LibC.fchownat(fd, leaf(child), uid, gid, LibC.AT_SYMLINK_NOFOLLOW);
        } catch (LastErrorException e) {
            throw new FsException("chown", child, e);
        }
    }

    /** The modification time of the entry itself (a symlink's own time), access time untouched. */
    public void setMtime(String child, long seconds, int nanos) throws IOException {
        try {
            LibC.utimensat(fd, leaf(child), new long[] {0, LibC.UTIME_OMIT, seconds, nanos},
                    LibC.AT_SYMLINK_NOFOLLOW);
        } catch (LastErrorException e) {
            throw new FsException("utimes", child, e);
        }
    }

    public void chmodSelf(int mode) throws IOException {
        Fd.chmod(fd, name, mode);
    }

    public void chownSelf(int uid, int gid) throws IOException {
        Fd.chown(fd, name, uid, gid);
    }

    public void setMtimeSelf(long seconds, int nanos) throws IOException {
        Fd.setMtime(fd, name, seconds, nanos);
    }

    /** A regular file for reading; a FIFO or device in its place is refused, never opened for blocking reads. */
    public NativeFile openRead(String child) throws IOException {
        int f;
        try {
            f = LibC.openat(fd, leaf(child), LibC.O_RDONLY | LibC.O_NOFOLLOW | LibC.O_NONBLOCK | LibC.O_NOCTTY
                    | LibC.O_CLOEXEC, 0);
        } catch (LastErrorException e) {
            throw new FsException("open", child, e);
        }
        NativeFile file = new NativeFile(f, child);
        if (!file.stat().isRegular()) {
            file.close();
            throw new FsException("open \"" + child + "\" failed: not a regular file", LibC.EISDIR);
        }
        return file;
    }

    /** A new file that must not exist yet (O_EXCL: never an existing file or a symlink's target). */
    public NativeFile createNew(String child, int mode) throws IOException {
        try {
            return new NativeFile(LibC.openat(fd, leaf(child), LibC.O_WRONLY | LibC.O_CREAT | LibC.O_EXCL
                    | LibC.O_NOFOLLOW | LibC.O_NOCTTY | LibC.O_CLOEXEC, mode), child);
        } catch (LastErrorException e) {
            throw new FsException("open", child, e);
        }
    }

    /** The names in this directory, without "." and "..". */
    public List<String> list() throws IOException {
        Pointer dir;
        int copy;
        try {
            copy = LibC.openat(fd, LibC.cstr("."), DIR_FLAGS, 0); // fdopendir owns and closes its descriptor
        } catch (LastErrorException e) {
            throw new FsException("opendir", name, e);
        }
        try {
            dir = LibC.fdopendir(copy);
        } catch (LastErrorException e) {
            try {
                LibC.close(copy);
            } catch (LastErrorException ignored) {
                // the error that matters is fdopendir's
            }
            throw new FsException("opendir", name, e);
        }
        List<String> names = new ArrayList<>();
        try {
            while (true) {
                Pointer ent;
                try {
                    ent = LibC.readdir(dir);
                } catch (LastErrorException e) {
                    throw new FsException("readdir", name, e);
                }
                if (ent == null) {
                    break;
                }
                // struct dirent64: d_ino 8, d_off 8, d_reclen 2, d_type 1, then the name
                byte[] raw = ent.getByteArray(19, ent.getShort(16) - 19);
                int len = 0;
                while (len < raw.length && raw[len] != 0) {
                    len++;
                }
                String n = Names.decode(raw, 0, len);
                if (!n.equals(".") && !n.equals("..")) {
                    names.add(n);
                }
            }
        } finally {
            LibC.closedir(dir);
        }
        return names;
    }

    @Override
    public String toString() {
        return "Dir[" + name + ", fd " + fd + "]";
    }
}
