package io.camelrsync.flist;

import java.io.IOException;

/** File-list entries in transmission order, possibly still being read from disk while consumed. */
public interface EntrySource {
    void forEach(EntrySink sink) throws IOException;

    /** rsync's io_error bits; final once forEach has returned. */
    int ioError();

    /** Receives entries in order; may fail with I/O (it usually writes them to the wire). */
    @FunctionalInterface
    interface EntrySink {
        void accept(FileEntry e) throws IOException;
    }
}
