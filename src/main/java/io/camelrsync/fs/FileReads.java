package io.camelrsync.fs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * Positional reads into heap arrays, 64 KiB per call. The JDK reads a heap buffer through a temporary direct
 * buffer of the same size and copies it over: at 1 MiB per read that copy missed the CPU's cache and reading a
 * file from the page cache took three times as long as at 64 KiB (256 MiB: 130-190 ms against 45-60 ms).
 */
public final class FileReads {
    private static final int SLICE = 64 * 1024;

    private FileReads() {
    }

    /** Reads {@code len} bytes at {@code pos}, or fewer only where the file ends; returns how many. */
    public static int readAt(FileChannel ch, long pos, byte[] b, int off, int len) throws IOException {
        int done = 0;
        while (done < len) {
            int n = ch.read(ByteBuffer.wrap(b, off + done, Math.min(SLICE, len - done)), pos + done);
            if (n < 0) {
                break;
            }
            done += n;
        }
        return done;
    }
}
