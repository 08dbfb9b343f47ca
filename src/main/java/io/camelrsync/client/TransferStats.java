package io.camelrsync.client;

/** Counters of one push, named after rsync's --stats lines. */
public final class TransferStats {
    public int files;
    public int regularFiles;
    public int directories;
    public int symlinks;
    public int createdFiles;
    public int transferredFiles;
    public int deletedFiles;
    public long totalSize;
    public long transferredSize;
    public long literalBytes;
    public long matchedBytes;
    public long bytesSent;
    public long bytesReceived;
    public long fileListBytes;
    public long elapsedMillis;
    /** The daemon refused the options that send moved paths with their old copy as basis. */
    public boolean basisRefused;
    /** 0, or 23 / 24 when some files were not transferred or vanished. */
    public int exitCode;

    @Override
    public String toString() {
        return "files=" + files + " transferred=" + transferredFiles + " literal=" + literalBytes + " matched="
                + matchedBytes + " deleted=" + deletedFiles + " elapsedMs=" + elapsedMillis;
    }
}
