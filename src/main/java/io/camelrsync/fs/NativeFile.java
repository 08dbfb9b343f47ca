package io.camelrsync.fs;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A file opened relative to a directory descriptor, as a {@link FileChannel} so the receiver's code reads a
 * basis and writes a temp file as it would any channel. The JDK cannot wrap a descriptor it did not open, so
 * reads and writes go through pread/write here; heap buffers pass through one native buffer per thread. Mapping
 * and locking are not needed by the receiver and are not offered.
 */
public final class NativeFile extends FileChannel {
    private static final int SCRATCH = 64 * 1024;
    /**
     * One native buffer per thread for heap buffers: a buffer per file would hold native memory until a GC
     * (thousands of small files in flight held a gigabyte beside the heap). Copied to and from the array by
     * JNI's array-region copies, 64 KiB at a time: through a 256 KiB direct ByteBuffer a 256 MiB basis took
     * 210 ms to read, this way 65 ms (see {@link FileReads}).
     */
    private static final ThreadLocal<Memory> SCRATCHES = ThreadLocal.withInitial(() -> new Memory(SCRATCH));

    private final int fd;
    private final String name;
    private final ReadWriteLock closing = new ReentrantReadWriteLock();

    NativeFile(int fd, String name) {
        this.fd = fd;
        this.name = name;
    }

    public String name() {
        return name;
    }

    public Stat stat() throws IOException {
        return Fd.stat(fd, name);
    }

    public void chmod(int mode) throws IOException {
        Fd.chmod(fd, name, mode);
    }

    /** -1 leaves that id as it is. */
    public void chown(int uid, int gid) throws IOException {
        Fd.chown(fd, name, uid, gid);
    }

    public void setMtime(long seconds, int nanos) throws IOException {
        Fd.setMtime(fd, name, seconds, nanos);
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        return transfer(dst, -1, false);
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
        if (position < 0) {
            throw new IllegalArgumentException("negative position");
        }
        return transfer(dst, position, false);
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        return transfer(src, -1, true);
    }

    @Override
    public int write(ByteBuffer src, long position) throws IOException {
        if (position < 0) {
            throw new IllegalArgumentException("negative position");
        }
        return transfer(src, position, true);
    }

    /**
     * One read or write of up to a buffer's remaining bytes; -1 at end of file for a read. Transfers share
     * the lock (the generator sums a large basis in slices, one thread each, and preads serialised on one lock
     * took twice as long as the JDK's channel; the kernel keeps a relative read or write atomic); closing
     * takes it alone, so no transfer runs on a descriptor number that was closed and perhaps reused.
     */
    private int transfer(ByteBuffer b, long position, boolean writing) throws IOException {
        Lock shared = closing.readLock();
        shared.lock();
        try {
            return transferOpen(b, position, writing);
        } finally {
            shared.unlock();
        }
    }

    private int transferOpen(ByteBuffer b, long position, boolean writing) throws IOException {
        if (!isOpen()) {
            throw new java.nio.channels.ClosedChannelException();
        }
        int n = b.remaining();
        if (n == 0) {
            return 0;
        }
        if (!writing && b.isReadOnly()) {
            throw new IllegalArgumentException("Read-only buffer"); // as the JDK's channels say
        }
        Pointer p;
        Memory scratch = null;
        if (b.isDirect()) {
            p = Native.getDirectBufferPointer(b).share(b.position());
        } else {
            n = Math.min(n, SCRATCH);
            scratch = SCRATCHES.get();
            p = scratch;
            if (writing) {
                if (b.hasArray()) {
                    scratch.write(0, b.array(), b.arrayOffset() + b.position(), n);
                } else { // read-only: no array to copy from
                    byte[] copy = new byte[n];
                    b.duplicate().get(copy);
                    scratch.write(0, copy, 0, n);
                }
            }
        }
        long done;
        try {
            do {
                try {
                    done = writing
                            ? position < 0 ? LibC.write(fd, p, n) : LibC.pwrite(fd, p, n, position)
                            : position < 0 ? LibC.read(fd, p, n) : LibC.pread(fd, p, n, position);
                    break;
                } catch (LastErrorException e) {
                    if (e.getErrorCode() != LibC.EINTR) {
                        throw e;
                    }
                }
            } while (true);
        } catch (LastErrorException e) {
            throw new FsException(writing ? "write" : "read", name, e);
        }
        if (!writing && done == 0) {
            return -1;
        }
        int k = (int) done;
        if (scratch != null && !writing) {
            scratch.read(0, b.array(), b.arrayOffset() + b.position(), k);
        }
        b.position(b.position() + k);
        return k;
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
        long total = 0;
        for (int i = offset; i < offset + length; i++) {
            int n = read(dsts[i]);
            if (n < 0) {
                return total == 0 ? -1 : total;
            }
            total += n;
            if (dsts[i].hasRemaining()) {
                break;
            }
        }
        return total;
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        long total = 0;
        for (int i = offset; i < offset + length; i++) {
            while (srcs[i].hasRemaining()) {
                total += write(srcs[i]);
            }
        }
        return total;
    }

    @Override
    public long position() throws IOException {
        return seek(0, 1);
    }

    @Override
    public FileChannel position(long newPosition) throws IOException {
        seek(newPosition, 0);
        return this;
    }

    private long seek(long offset, int whence) throws IOException {
        try {
            return LibC.lseek(fd, offset, whence);
        } catch (LastErrorException e) {
            throw new FsException("lseek", name, e);
        }
    }

    @Override
    public long size() throws IOException {
        return stat().size();
    }

    @Override
    public FileChannel truncate(long size) throws IOException {
        try {
            LibC.ftruncate(fd, size);
        } catch (LastErrorException e) {
            throw new FsException("ftruncate", name, e);
        }
        return this;
    }

    @Override
    public void force(boolean metaData) throws IOException {
        try {
            LibC.fsync(fd);
        } catch (LastErrorException e) {
            throw new FsException("fsync", name, e);
        }
    }

    @Override
    public long transferTo(long position, long count, WritableByteChannel target) {
        throw new UnsupportedOperationException("transferTo");
    }

    @Override
    public long transferFrom(ReadableByteChannel src, long position, long count) {
        throw new UnsupportedOperationException("transferFrom");
    }

    @Override
    public MappedByteBuffer map(MapMode mode, long position, long size) {
        throw new UnsupportedOperationException("map");
    }

    @Override
    public FileLock lock(long position, long size, boolean shared) {
        throw new UnsupportedOperationException("lock");
    }

    @Override
    public FileLock tryLock(long position, long size, boolean shared) {
        throw new UnsupportedOperationException("tryLock");
    }

    @Override
    protected void implCloseChannel() throws IOException {
        Lock alone = closing.writeLock();
        alone.lock();
        try {
            LibC.close(fd);
        } catch (LastErrorException e) {
            throw new FsException("close", name, e);
        } finally {
            alone.unlock();
        }
    }
}
