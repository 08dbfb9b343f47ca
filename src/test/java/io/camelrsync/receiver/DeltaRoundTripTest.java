package io.camelrsync.receiver;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.camelrsync.checksum.ChecksumAlgorithm;
import io.camelrsync.protocol.Compression;
import io.camelrsync.protocol.RsyncException;
import io.camelrsync.protocol.WireInput;
import io.camelrsync.protocol.WireOutput;
import io.camelrsync.sender.BlockSums;
import io.camelrsync.sender.DeltaEncoder;
import io.camelrsync.sender.SumHead;
import io.camelrsync.sender.TokenWriter;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/** Generator sums -> our sender's tokens -> receiver rebuild: the new file comes out byte for byte. */
class DeltaRoundTripTest {
    @TempDir
    Path dir;

    @Test
    void blockSizingMatchesWhatRsyncSendsOnTheWire() {
        // captured from rsync 3.5.0 (notes section 7): a 200000-byte file -> 286 blocks of 700, s2 2, rem 500
        assertEquals(new SumHead(286, 700, 2, 500), BasisSums.head(200_000, false, 16));
        assertEquals(16, BasisSums.head(200_000, true, 16).strongLength(), "the redo uses full-length sums");
        SumHead big = BasisSums.head(256L << 20, false, 16);
        assertEquals(16384, big.blockLength(), "sqrt of 256 MiB");
        assertEquals(16384, big.count());
        assertEquals(131072, BasisSums.head(1L << 40, false, 16).blockLength(), "capped at 128 KiB");
        assertEquals(8, BasisSums.head(1L << 20, true, 8).strongLength(), "never longer than an 8-byte digest");
    }

    @ParameterizedTest
    @EnumSource(ChecksumAlgorithm.class)
    void rebuildsTheNewFileFromBasisAndTokens(ChecksumAlgorithm algo) throws Exception {
        byte[] old = new byte[3_000_000];
        new Random(1).nextBytes(old);
        byte[] now = old.clone();
        System.arraycopy(new byte[5000], 0, now, 1_000_000, 5000); // an edit in the middle
        byte[] tail = new byte[12345];
        new Random(2).nextBytes(tail);
        byte[] grown = new byte[now.length + tail.length];
        System.arraycopy(now, 0, grown, 0, now.length);
        System.arraycopy(tail, 0, grown, now.length, tail.length);
        Path basis = dir.resolve("basis");
        Path source = dir.resolve("source");
        Files.write(basis, old);
        Files.write(source, grown);
        int seed = 0x5eed;

        ByteArrayOutputStream sumsWire = new ByteArrayOutputStream();
        SumHead head = BasisSums.head(old.length, false, algo.digestLength());
        try (FileChannel b = FileChannel.open(basis)) {
            BasisSums.write(new WireOutput(sumsWire), head, b, () -> algo.blockSummer(seed, true));
        }
        WireInput sumsIn = new WireInput(new ByteArrayInputStream(sumsWire.toByteArray()));
        SumHead readHead = SumHead.read(sumsIn, algo.digestLength());
        BlockSums sums = BlockSums.read(sumsIn, readHead);

        ByteArrayOutputStream tokens = new ByteArrayOutputStream();
        DeltaEncoder enc = new DeltaEncoder(new TokenWriter.Plain(new WireOutput(tokens)), algo, seed, true);
        try (FileChannel s = FileChannel.open(source)) {
            enc.send(s, grown.length, sums, DeltaEncoder.ProgressSink.NONE);
        }
        assertTrue(enc.literalBytes() < 30_000, "literal " + enc.literalBytes());

        ByteArrayOutputStream rebuilt = new ByteArrayOutputStream();
        TokenReceiver.Result r;
        try (FileChannel b = FileChannel.open(basis, StandardOpenOption.READ)) {
            r = new TokenReceiver(algo).receive(new WireInput(new ByteArrayInputStream(tokens.toByteArray())), TokenSource.plain(),
                    readHead, b, rebuilt);
        }
        assertTrue(r.verified());
        assertArrayEquals(grown, rebuilt.toByteArray());
        assertEquals(enc.literalBytes(), r.literal());
    }

    /**
     * Each compressor, as one session sends two deltas in a row (zstd's stream runs on between files, deflate's
     * restarts): compressible and random literal data, runs of matched blocks, and for zlib the blocks that enter
     * the window, with blocks longer than 64 KiB so protocol 30's repeated first piece is exercised both ways.
     */
    @ParameterizedTest
    @CsvSource({"ZSTD,32,0,", "ZSTD,32,0,22", "ZSTD,32,0,-5", "LZ4,32,0,", "ZLIBX,32,0,", "ZLIB,32,0,", "ZLIB,31,0,",
            "ZLIB,30,0,", "ZLIB,30,70000,", "ZLIB,31,70000,9", "ZLIBX,30,70000,1"})
    void compressedTokensRebuildEveryFileOfASession(Compression compression, int protocol, int blockLength,
                                                    Integer level) throws Exception {
        ChecksumAlgorithm algo = ChecksumAlgorithm.MD5;
        ByteArrayOutputStream wire = new ByteArrayOutputStream();
        List<byte[]> olds = new ArrayList<>();
        List<byte[]> nows = new ArrayList<>();
        List<SumHead> heads = new ArrayList<>();
        TokenWriter writer = TokenWriter.of(compression, compression.effectiveLevel(level == null
                ? Compression.LEVEL_NOT_SPECIFIED : level), protocol, new WireOutput(wire));
        DeltaEncoder enc = new DeltaEncoder(writer, algo, 7, true);
        for (int f = 0; f < 3; f++) {
            byte[] old = new byte[1_500_000];
            Random r = new Random(f);
            r.nextBytes(old);
            for (int i = 0; i < 400_000; i++) {
                old[i] = (byte) ("text line " + (i / 37)).charAt(i % 10); // compressible
            }
            byte[] now = old.clone();
            System.arraycopy(old, 200_000, now, 900_000, 150_000); // a copy of earlier data: zlib may refer to it
            for (int i = 0; i < 3000; i++) {
                now[1_300_000 + i] = (byte) r.nextInt();
            }
            SumHead head = blockLength == 0 ? BasisSums.head(old.length, false, algo.digestLength())
                    : new SumHead((old.length + blockLength - 1) / blockLength, blockLength, algo.digestLength(),
                    old.length % blockLength);
            ByteArrayOutputStream sumsWire = new ByteArrayOutputStream();
            Path basis = dir.resolve("basis" + f);
            Path source = dir.resolve("source" + f);
            Files.write(basis, old);
            Files.write(source, f == 1 ? new byte[0] : now); // an empty file between two deltas
            try (FileChannel b = FileChannel.open(basis)) {
                BasisSums.write(new WireOutput(sumsWire), head, b, () -> algo.blockSummer(7, true));
            }
            WireInput sumsIn = new WireInput(new ByteArrayInputStream(sumsWire.toByteArray()));
            BlockSums sums = BlockSums.read(sumsIn, SumHead.read(sumsIn, algo.digestLength()));
            try (FileChannel s = FileChannel.open(source)) {
                enc.send(s, Files.size(source), sums, DeltaEncoder.ProgressSink.NONE);
            }
            olds.add(old);
            nows.add(f == 1 ? new byte[0] : now);
            heads.add(head);
        }
        writer.close();
        assertTrue(enc.matchedBytes() > 2_000_000, "matched " + enc.matchedBytes());
        if (compression != Compression.NONE) {
            assertTrue(wire.size() < enc.literalBytes(), "compressed " + wire.size() + " of " + enc.literalBytes());
        }
        ByteArrayInputStream stream = new ByteArrayInputStream(wire.toByteArray());
        WireInput in = new WireInput(stream);
        try (TokenSource tokens = TokenSource.of(compression, protocol)) {
            for (int f = 0; f < 3; f++) {
                Path basis = dir.resolve("basis" + f);
                ByteArrayOutputStream rebuilt = new ByteArrayOutputStream();
                TokenReceiver.Result r;
                try (FileChannel b = FileChannel.open(basis, StandardOpenOption.READ)) {
                    r = new TokenReceiver(algo).receive(in, tokens, heads.get(f), b, rebuilt);
                }
                assertTrue(r.verified(), "file " + f);
                assertArrayEquals(nows.get(f), rebuilt.toByteArray(), "file " + f);
            }
        }
        assertEquals(0, stream.available(), "the whole stream was read");
    }

    /**
     * A large file: its whole-file checksum computed beside the search (DeltaEncoder.PARALLEL_DIGEST_MIN), the
     * tokens found so far sent on in mid-stream every DeltaEncoder.FLUSH_MATCHED of matched data: edits near
     * both ends and the middle, a copy of early data late in the file (zlib's window refers back to it), every
     * compressor's stream; the file comes out byte for byte.
     */
    @ParameterizedTest
    @CsvSource({"NONE,32", "ZLIB,30", "ZLIBX,32", "ZSTD,32", "LZ4,31"})
    void aLargeFileIsRebuiltWhateverTheCompressor(Compression compression, int protocol) throws Exception {
        int size = 40 << 20;
        byte[] old = new byte[size];
        new Random(9).nextBytes(old);
        byte[] now = old.clone();
        Random r = new Random(10);
        for (int at : new int[] {1234, size / 2 - 3000, size / 2 + 17, size - 5000}) {
            for (int i = 0; i < 2000; i++) {
                now[at + i] = (byte) r.nextInt();
            }
        }
        System.arraycopy(old, 100_000, now, size - 3_000_000, 1_000_000);
        Path basis = dir.resolve("big.old");
        Path source = dir.resolve("big.new");
        Files.write(basis, old);
        Files.write(source, now);
        ChecksumAlgorithm algo = ChecksumAlgorithm.XXH128;
        SumHead head = BasisSums.head(size, false, algo.digestLength());
        ByteArrayOutputStream sumsWire = new ByteArrayOutputStream();
        try (FileChannel b = FileChannel.open(basis)) {
            BasisSums.write(new WireOutput(sumsWire), head, b, () -> algo.blockSummer(3, true));
        }
        WireInput sumsIn = new WireInput(new ByteArrayInputStream(sumsWire.toByteArray()));
        SumHead readHead = SumHead.read(sumsIn, algo.digestLength());
        BlockSums sums = BlockSums.read(sumsIn, readHead);
        ByteArrayOutputStream wire = new ByteArrayOutputStream();
        long[] progress = {0};
        DeltaEncoder enc;
        try (TokenWriter writer = TokenWriter.of(compression, compression.effectiveLevel(
                Compression.LEVEL_NOT_SPECIFIED), protocol, new WireOutput(wire));
             FileChannel s = FileChannel.open(source)) {
            enc = new DeltaEncoder(writer, algo, 3, true);
            enc.send(s, size, sums, pos -> progress[0] = Math.max(progress[0], pos));
        }
        assertEquals(size, progress[0]);
        assertTrue(enc.literalBytes() < 200_000, "literal " + enc.literalBytes());
        assertEquals(size, enc.literalBytes() + enc.matchedBytes());
        ByteArrayOutputStream rebuilt = new ByteArrayOutputStream(size);
        TokenReceiver.Result result;
        try (FileChannel b = FileChannel.open(basis); TokenSource tokens = TokenSource.of(compression, protocol)) {
            result = new TokenReceiver(algo).receive(new WireInput(new ByteArrayInputStream(wire.toByteArray())),
                    tokens, readHead, b, rebuilt);
        }
        assertTrue(result.verified());
        assertArrayEquals(now, rebuilt.toByteArray());
    }

    @Test
    void aBlockIndexBeyondTheSumsIsRefused() throws Exception {
        ByteArrayOutputStream tokens = new ByteArrayOutputStream();
        WireOutput out = new WireOutput(tokens);
        out.writeInt(-(99 + 1));
        RsyncException e = assertThrows(RsyncException.class, () -> new TokenReceiver(ChecksumAlgorithm.MD5)
                .receive(new WireInput(new ByteArrayInputStream(tokens.toByteArray())), TokenSource.plain(), new SumHead(3, 700, 2, 0),
                        null, new ByteArrayOutputStream()));
        assertTrue(e.getMessage().contains("Invalid block index 99"), e.getMessage());
    }
}
