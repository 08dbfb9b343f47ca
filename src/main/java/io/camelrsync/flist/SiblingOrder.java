package io.camelrsync.flist;

import java.util.Comparator;

/**
 * rsync's file-list order applied to entries of one directory: emitting each directory's subtree right after
 * it then yields the whole list in the order the receiver sorts to, so our transmission index is the
 * receiver's file index.
 */
public final class SiblingOrder implements Comparator<FileEntry> {
    public static final SiblingOrder INSTANCE = new SiblingOrder();

    @Override
    public int compare(FileEntry a, FileEntry b) {
        return FileListOrder.compare(a.name, a.isDirectory(), b.name, b.isDirectory());
    }
}
