package io.camelrsync.client;

import io.camelrsync.flist.FileEntry;

/** What a push reports while it runs: daemon text, per-file events, progress. All methods are optional. */
public interface PushListener {
    PushListener NONE = new PushListener() {
    };

    /** A line of the daemon's message of the day. */
    default void motd(String line) {
    }

    /** INFO, WARNING or ERROR text from the daemon (MessageCode), or a local warning (code WARNING). */
    default void message(int code, String text) {
    }

    /** The receiver deleted this path (directories end with '/'). */
    default void deleted(String path) {
    }

    /** An entry the receiver created or updated, with its itemize flags. */
    default void itemized(FileEntry entry, int iflags) {
    }

    /** Bytes of {@code entry} sent so far. */
    default void progress(FileEntry entry, long done, long total) {
    }
}
