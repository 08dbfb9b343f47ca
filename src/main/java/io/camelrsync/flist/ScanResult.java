package io.camelrsync.flist;

import java.util.List;

/**
 * The file list in transmission (= receiver-sorted) order, plus rsync's io_error bits: any bit set makes the
 * receiver skip deletions, so a directory we could not read never causes its copy to be emptied.
 */
public record ScanResult(List<FileEntry> entries, int ioError) implements EntrySource {
    public static final int IOERR_GENERAL = 1;
    public static final int IOERR_VANISHED = 2;

    @Override
    public void forEach(EntrySink sink) throws java.io.IOException {
        for (FileEntry e : entries) {
            sink.accept(e);
        }
    }
}
