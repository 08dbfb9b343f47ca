package io.camelrsync.receiver;

/** What one push into the daemon changed; for a pull ({@link #pulled}), what the daemon sent. */
public final class ReceiveStats {
    /** A client pulled: the file and byte counts are what the daemon sent, and nothing changed here. */
    public boolean pulled;
    public int files;
    public int transferredFiles;
    public long literalBytes;
    public long matchedBytes;
    /** Files hard-linked from a --link-dest dir, and copied from an alt dir, instead of transferred. */
    public int linkedFiles;
    public int copiedFiles;
    public int deletedFiles;
    public int deletedDirs;
    public int deletedSymlinks;
    public int deletedOther;
    public int errors;
    /** What the push changed, by name (bounded), for a relay to forward. */
    public final ChangedPaths changes = new ChangedPaths();

    public int deleted() {
        return deletedFiles + deletedDirs + deletedSymlinks + deletedOther;
    }
}
