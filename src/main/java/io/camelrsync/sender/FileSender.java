package io.camelrsync.sender;

import io.camelrsync.checksum.ChecksumAlgorithm;
import io.camelrsync.flist.EntrySource;
import io.camelrsync.flist.FileEntry;
import io.camelrsync.flist.FileListWriter;
import io.camelrsync.flist.ScanResult;
import io.camelrsync.fs.FileReads;
import io.camelrsync.protocol.Compression;
import io.camelrsync.protocol.ItemFlags;
import io.camelrsync.protocol.Limits;
import io.camelrsync.protocol.MessageCode;
import io.camelrsync.protocol.MultiplexWriter;
import io.camelrsync.protocol.Ndx;
import io.camelrsync.protocol.RsyncException;
import io.camelrsync.protocol.WireInput;
import io.camelrsync.protocol.WireOutput;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.List;

/**
 * The sender role, whichever end it runs on: a client pushing to a daemon, or our daemon serving a pull
 * (flist.c send_file_list, sender.c send_files, main.c read_final_goodbye). The caller owns the connection,
 * the protocol setup and the filter list; this sends the file list, then answers the generator file by file.
 */
public final class FileSender {
    /** What the session negotiated and the client asked for that shapes what is sent. */
    public record Settings(int protocol, boolean varintFlags, boolean id0Names, boolean safeFlist, boolean owner,
                           boolean group, boolean devices, boolean specials, boolean links, boolean hardLinks,
                           boolean numericIds, boolean dryRun, ChecksumAlgorithm algorithm, int seed,
                           boolean seedFirst, boolean daemonSide, Compression compression, int compressLevel,
                           boolean alwaysChecksum) {
    }

    /** Where a file's content comes from: the client opens its path, the daemon opens it inside its module. */
    public interface Opener {
        FileChannel open(FileEntry file) throws IOException;
    }

    /** What the sender tells its end about (all optional). */
    public interface Events {
        /** A text for the user: a vanished or unreadable file (rsync's wording, with the message code). */
        default void message(int code, String text) {
        }

        default void itemized(FileEntry file, int iflags) {
        }

        default void progress(FileEntry file, long done, long total) {
        }

        /** The generator's NDX_DEL_STATS: how many entries the receiver deleted. */
        default void deleted(int total) {
        }
    }

    /** Counters named after rsync's --stats lines. */
    public static final class Counts {
        public int files;
        public int regularFiles;
        public int directories;
        public int symlinks;
        public int createdFiles;
        public int transferredFiles;
        public long totalSize;
        public long transferredSize;
        public long literalBytes;
        public long matchedBytes;
        public long fileListBytes;
    }

    private final Settings settings;
    private final Opener opener;
    private final Events events;
    private final Counts counts = new Counts();
    /** -c: the buffer files are read through for their checksums. */
    private byte[] checksumBuffer;

    public FileSender(Settings settings, Opener opener, Events events) {
        this.settings = settings;
        this.opener = opener;
        this.events = events;
    }

    public Counts counts() {
        return counts;
    }

    /** flist.c send_file_list: every entry of the scan, the end marker with its io_error, the id lists. */
    public List<FileEntry> sendFileList(WireOutput out, MultiplexWriter mux, EntrySource scan) throws IOException {
        Settings s = settings;
        FileListWriter writer = new FileListWriter(out, new FileListWriter.Options(s.protocol(), s.varintFlags(),
                s.owner(), s.group(), s.devices(), s.specials(), s.hardLinks(), s.id0Names(), s.links(),
                s.alwaysChecksum() ? s.algorithm().digestLength() : 0));
        List<FileEntry> files = new ArrayList<>();
        long before = mux.bytesWritten();
        scan.forEach(e -> {
            writer.write(e, s.alwaysChecksum() && e.isRegular() ? fileChecksum(e) : null);
            files.add(e);
            counts.files++;
            if (e.isRegular()) {
                counts.regularFiles++;
                counts.totalSize += e.size;
            } else if (e.isDirectory()) {
                counts.directories++;
            } else if (e.isSymlink()) {
                counts.symlinks++;
                counts.totalSize += e.linkTarget.length;
            }
        });
        writer.writeEnd(scan.ioError(), s.safeFlist());
        out.flush();
        counts.fileListBytes = mux.bytesWritten() - before;
        if (scan.ioError() != 0 && !s.safeFlist()) {
            mux.sendInt(MessageCode.IO_ERROR, scan.ioError());
        }
        if (!s.numericIds()) {
            writer.writeIdLists();
        }
        out.flush();
        return files;
    }

    /**
     * checksum.c file_checksum for -c: the file's content as listed (its size then), unseeded; null when it
     * cannot be read (the list carries zeros, and the transfer reports the error).
     */
    private byte[] fileChecksum(FileEntry e) throws IOException {
        ChecksumAlgorithm.FileDigest digest = settings.algorithm().fileDigest();
        try (FileChannel ch = opener.open(e)) {
            if (checksumBuffer == null) {
                checksumBuffer = new byte[1 << 20]; // one for the list, not one a file
            }
            long done = 0;
            while (done < e.size) {
                int n = FileReads.readAt(ch, done, checksumBuffer, 0, (int) Math.min(checksumBuffer.length,
                        e.size - done));
                if (n <= 0) {
                    break; // it shrank since the scan: the transfer that follows will say so
                }
                digest.update(checksumBuffer, 0, n);
                done += n;
            }
            return digest.digest();
        } catch (IOException unreadable) {
            return null;
        }
    }

    /**
     * sender.c send_files: reads the generator's requests until its third DONE; a transfer is answered with the
     * delta of the file against the block sums of the receiver's basis. A file that cannot be opened is
     * reported (MSG_NO_SEND) and the rest goes on.
     *
     * @return the io_error bits, those of the scan and any added here
     */
    public int sendFiles(WireInput in, WireOutput out, MultiplexWriter mux, List<FileEntry> files, int ioError)
            throws IOException {
        // one token writer for the session: zstd's stream runs on from file to file, as token.c's does
        try (TokenWriter tokens = TokenWriter.of(settings.compression(), settings.compressLevel(),
                settings.protocol(), out)) {
            return sendFiles(in, out, mux, files, ioError, new DeltaEncoder(tokens, settings.algorithm(),
                    settings.seed(), settings.seedFirst()));
        }
    }

    private int sendFiles(WireInput in, WireOutput out, MultiplexWriter mux, List<FileEntry> files, int ioError,
                          DeltaEncoder encoder) throws IOException {
        int startIoError = ioError;
        int phase = 0;
        while (true) {
            int ndx = in.readNdx();
            if (ndx == Ndx.DONE) {
                if (++phase > 2) {
                    break;
                }
                out.writeNdx(Ndx.DONE);
                out.flush();
                continue;
            }
            if (ndx == Ndx.DEL_STATS) {
                readDeleteStats(in, out);
                continue;
            }
            if (ndx < 0 || ndx >= files.size()) {
                throw RsyncException.protocol("Invalid file index: " + ndx + " (" + Ndx.DONE + " - "
                        + (files.size() - 1) + ") [sender]");
            }
            int iflags = in.readShortInt();
            int basisType = -1;
            if ((iflags & ItemFlags.BASIS_TYPE_FOLLOWS) != 0) {
                basisType = in.readByte();
            }
            String xname = null;
            if ((iflags & ItemFlags.XNAME_FOLLOWS) != 0) {
                xname = in.readVstring(Limits.MAX_PATH);
            }
            FileEntry file = files.get(ndx);
            if ((iflags & ItemFlags.TRANSFER) == 0) {
                echo(out, ndx, iflags, basisType, xname);
                if ((iflags & ItemFlags.IS_NEW) != 0) {
                    counts.createdFiles++;
                }
                events.itemized(file, iflags);
                continue;
            }
            if (phase == 2) {
                throw RsyncException.protocol("got transfer request in phase 2 [sender]");
            }
            if (!file.isRegular()) {
                throw RsyncException.protocol("the receiver asked for the content of " + file.path
                        + ", which is not a regular file");
            }
            counts.transferredFiles++;
            counts.transferredSize += file.size;
            if ((iflags & ItemFlags.IS_NEW) != 0) {
                counts.createdFiles++;
            }
            events.itemized(file, iflags);
            if (settings.dryRun()) {
                echo(out, ndx, iflags, basisType, xname);
                continue;
            }
            SumHead head = SumHead.read(in, settings.algorithm().digestLength());
            BlockSums sums = BlockSums.read(in, head);
            FileChannel ch;
            try {
                ch = opener.open(file);
            } catch (NoSuchFileException e) {
                ioError |= ScanResult.IOERR_VANISHED;
                events.message(MessageCode.WARNING, "file has vanished: \"" + file.source + "\"\n");
                mux.sendInt(MessageCode.NO_SEND, ndx);
                continue;
            } catch (IOException e) {
                ioError |= ScanResult.IOERR_GENERAL;
                events.message(MessageCode.ERROR_XFER, "rsync: [sender] send_files failed to open \""
                        + file.source + "\": " + e.getMessage() + "\n");
                mux.sendInt(MessageCode.NO_SEND, ndx);
                continue;
            }
            try (ch) {
                echo(out, ndx, iflags, basisType, xname);
                head.write(out);
                long literal = encoder.literalBytes();
                long matched = encoder.matchedBytes();
                encoder.send(ch, file.size, sums, pos -> events.progress(file, pos, file.size));
                counts.literalBytes += encoder.literalBytes() - literal;
                counts.matchedBytes += encoder.matchedBytes() - matched;
            }
        }
        if (ioError != startIoError) {
            mux.sendInt(MessageCode.IO_ERROR, ioError);
        }
        out.writeNdx(Ndx.DONE);
        out.flush();
        return ioError;
    }

    private static void echo(WireOutput out, int ndx, int iflags, int basisType, String xname) throws IOException {
        out.writeNdx(ndx);
        out.writeShortInt(iflags);
        if (basisType >= 0) {
            out.writeByte(basisType);
        }
        if (xname != null) {
            out.writeVstring(xname);
        }
    }

    /** The receiver's deletion counts; a daemon sends them back to the pulling client (read_ndx_and_attrs). */
    private void readDeleteStats(WireInput in, WireOutput out) throws IOException {
        int[] counts = new int[5]; // files, dirs, symlinks, devices, specials
        int total = 0;
        for (int i = 0; i < 5; i++) {
            counts[i] = in.readVarint();
            total += counts[i];
        }
        if (settings.daemonSide()) {
            out.writeNdx(Ndx.DEL_STATS);
            for (int c : counts) {
                out.writeVarint(c);
            }
        }
        events.deleted(total);
    }

    /** main.c read_final_goodbye, the sender's side: at protocol 31+ one more DONE round trip. */
    public void readGoodbye(WireInput in, WireOutput out) throws IOException {
        int ndx = readSkippingStats(in, out);
        if (settings.protocol() >= 31 && ndx == Ndx.DONE) {
            out.writeNdx(Ndx.DONE);
            out.flush();
            ndx = readSkippingStats(in, out);
        }
        if (ndx != Ndx.DONE) {
            throw RsyncException.protocol("Invalid packet at end of run (" + ndx + ") [sender]");
        }
    }

    private int readSkippingStats(WireInput in, WireOutput out) throws IOException {
        int ndx = in.readNdx();
        while (ndx == Ndx.DEL_STATS) {
            readDeleteStats(in, out);
            ndx = in.readNdx();
        }
        return ndx;
    }
}
