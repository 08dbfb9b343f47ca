package io.camelrsync.daemon;

/** What one push into the daemon changed. */
public final class ReceiveStats {
    public int files;
    public int transferredFiles;
    public long literalBytes;
    public long matchedBytes;
    public int deletedFiles;
    public int deletedDirs;
    public int deletedSymlinks;
    public int deletedOther;
    public int errors;

    public int deleted() {
        return deletedFiles + deletedDirs + deletedSymlinks + deletedOther;
    }
}
