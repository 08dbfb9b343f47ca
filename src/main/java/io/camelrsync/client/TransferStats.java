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

    /** Adds what another session of the same push transferred, deleted and how it ended. */
    void add(TransferStats s) {
        files += s.files;
        transferredFiles += s.transferredFiles;
        literalBytes += s.literalBytes;
        matchedBytes += s.matchedBytes;
        bytesSent += s.bytesSent;
        bytesReceived += s.bytesReceived;
        transferredSize += s.transferredSize;
        deletedFiles += s.deletedFiles;
        exitCode = Math.max(exitCode, s.exitCode);
        basisRefused |= s.basisRefused;
    }

    @Override
    public String toString() {
        return "files=" + files + " transferred=" + transferredFiles + " literal=" + literalBytes + " matched="
                + matchedBytes + " deleted=" + deletedFiles + " elapsedMs=" + elapsedMillis;
    }
}
