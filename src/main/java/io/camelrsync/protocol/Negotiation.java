package io.camelrsync.protocol;

import io.camelrsync.checksum.ChecksumAlgorithm;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;

/**
 * compat.c negotiate_the_strings with parse_checksum_choice and parse_compress_choice, for both ends of a
 * session: after the compat flags, each side writes its checksum list (unless one was forced) and its compressor
 * list (when -z was asked without a choice), strongest first, before it reads the peer's; each then takes its own
 * most preferred name the peer also has. Without negotiation (protocol 30/31 peers) md5 and zlib are implied.
 */
public final class Negotiation {
    /** What a session uses: block and whole-file checksums, the compressor and its effective level. */
    public record Result(ChecksumAlgorithm checksum, ChecksumAlgorithm fileChecksum, Compression compression,
                         int level, String refusal) {
    }

    /** What one end was asked for: a forced --checksum-choice, -z, a forced --compress-choice, --compress-level. */
    public record Asked(String checksumChoice, boolean compress, String compressChoice, int compressLevel) {
    }

    private Negotiation() {
    }

    /**
     * The client's side. Our checksum list is that of {@code asked.checksumChoice()} ("auto": all of ours); a
     * forced compressor was already sent as an argument and is not negotiated.
     */
    public static Result client(WireInput in, WireOutput out, CompatFlags compat, Asked asked) throws IOException {
        List<ChecksumAlgorithm> ours = ChecksumAlgorithm.choices(asked.checksumChoice());
        Compression forced = Compression.chosen(asked.compress(), asked.compressChoice());
        boolean listCompressors = compat.negotiated() && asked.compress() && forced == null;
        if (compat.negotiated()) {
            out.writeVstring(String.join(" ", ours.stream().map(ChecksumAlgorithm::wireName).toList()));
            if (listCompressors) {
                out.writeVstring(Compression.offeredList());
            }
            out.flush();
        }
        ChecksumAlgorithm checksum = ChecksumAlgorithm.MD5;
        if (compat.negotiated()) {
            List<String> theirs = words(in.readVstring(Limits.MAX_NSTR));
            checksum = ours.stream().filter(a -> theirs.contains(a.wireName())).findFirst().orElseThrow(() ->
                    new RsyncException(ExitCode.UNSUPPORTED, "Failed to negotiate a checksum choice: we offer "
                            + ours.stream().map(ChecksumAlgorithm::wireName).toList() + ", the daemon offers "
                            + Printable.of(String.join(" ", theirs))));
        }
        Compression compression = !asked.compress() ? Compression.NONE : forced != null ? forced : Compression.ZLIB;
        if (listCompressors) {
            List<String> theirs = words(in.readVstring(Limits.MAX_NSTR));
            compression = choose(theirs).orElseThrow(() -> new RsyncException(ExitCode.UNSUPPORTED,
                    "Failed to negotiate a compress choice: we offer " + Compression.offeredList()
                            + ", the daemon offers " + Printable.of(String.join(" ", theirs))));
        }
        return result(checksum, checksum, compression, asked.compressLevel(), null);
    }

    /**
     * The server's side (our daemon): a checksum choice the client forced that we lack is a refusal, reported
     * once the session is multiplexed, as rsync reports it.
     */
    public static Result server(java.io.InputStream rawIn, WireOutput out, CompatFlags compat, Asked asked)
            throws IOException {
        ChecksumAlgorithm checksum = ChecksumAlgorithm.MD5;
        ChecksumAlgorithm fileSum = null;
        String refusal = null;
        if (asked.checksumChoice() != null) {
            String[] names = asked.checksumChoice().split(",", 2);
            ChecksumAlgorithm block = ChecksumAlgorithm.byName(names[0]).orElse(null);
            ChecksumAlgorithm file = names.length > 1 ? ChecksumAlgorithm.byName(names[1]).orElse(null) : block;
            if (block == null || file == null) {
                refusal = "rsync: on remote machine: unknown checksum name in --checksum-choice="
                        + asked.checksumChoice() + " (this daemon has " + checksumList() + ")";
            } else {
                checksum = block;
                fileSum = file;
            }
        }
        Compression forced = Compression.chosen(asked.compress(), asked.compressChoice());
        boolean listCompressors = compat.negotiated() && asked.compress() && forced == null;
        boolean listChecksums = compat.negotiated() && asked.checksumChoice() == null;
        // rsync sends every list before reading the peer's, so neither side waits on the other
        if (listChecksums) {
            out.writeVstring(checksumList() + " none");
        }
        if (listCompressors) {
            out.writeVstring(Compression.offeredList() + " none");
        }
        out.flush();
        WireInput in = new WireInput(rawIn);
        if (listChecksums) {
            List<String> theirs = words(in.readVstring(Limits.MAX_NSTR));
            checksum = Arrays.stream(ChecksumAlgorithm.values()).filter(a -> theirs.contains(a.wireName()))
                    .findFirst().orElseThrow(() -> RsyncException.protocol("no common checksum with the client: "
                            + Printable.of(String.join(" ", theirs))));
        }
        Compression compression = !asked.compress() ? Compression.NONE : forced != null ? forced : Compression.ZLIB;
        if (listCompressors) {
            List<String> theirs = words(in.readVstring(Limits.MAX_NSTR));
            compression = choose(theirs).orElseThrow(() -> new RsyncException(ExitCode.UNSUPPORTED,
                    "Failed to negotiate a compress choice: the client offers "
                            + Printable.of(String.join(" ", theirs)) + ", this daemon has "
                            + Compression.offeredList()));
        }
        return result(checksum, fileSum == null ? checksum : fileSum, compression, asked.compressLevel(), refusal);
    }

    private static Result result(ChecksumAlgorithm checksum, ChecksumAlgorithm fileSum, Compression compression,
                                 int requestedLevel, String refusal) {
        int level = compression.effectiveLevel(requestedLevel);
        if (level < 0) {
            compression = Compression.NONE; // zlib at level 0: rsync sends plain tokens
        }
        return new Result(checksum, fileSum, compression, level, refusal);
    }

    /** Our own most preferred name the peer listed; "none" only when they offer nothing else we have. */
    private static java.util.Optional<Compression> choose(List<String> theirs) {
        return Arrays.stream(Compression.values()).filter(c -> theirs.contains(c.wireName())).findFirst();
    }

    private static String checksumList() {
        return String.join(" ", Arrays.stream(ChecksumAlgorithm.values()).map(ChecksumAlgorithm::wireName).toList());
    }

    private static List<String> words(String s) {
        return Arrays.asList(s.trim().split("\\s+"));
    }
}
