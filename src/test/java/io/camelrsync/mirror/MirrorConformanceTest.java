package io.camelrsync.mirror;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.camelrsync.testing.NameBytes;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Seeded random sequences of every kind of change the mirror must carry (type changes in each direction, same-second
 * same-size rewrites, renamed directories written into, odd and non-UTF-8 names, deep and long paths, ...), done at
 * the speed a program does them, then a quiet period, then source and target compared entry by entry: against a
 * stock rsync daemon and against our own daemon as the embedded default runs it. CI runs a handful of seeds
 * (conformance.seeds, conformance.ops); a failing seed's replay line is in its report and in the failure, and
 * bench/conformance.sh runs many more. See {@link Conformance} for the properties.
 */
class MirrorConformanceTest {
    /**
     * Names as a shell makes them (printf octal escapes), bytes no Java String can hold among them. Stock rsync
     * (without --iconv) keeps a name's bytes exactly, so the target must hold these very bytes.
     */
    private static final String[] ODD_NAMES = {"lat1-\\351t\\351", "bad-\\377\\376", "trunc-\\303",
        "overlong-\\300\\257", "surr-\\355\\240\\200", "back\\134slash", "new\\nline", "tab\\tx"};

    @TempDir
    Path work;

    @ParameterizedTest(name = "{0}")
    @EnumSource(Conformance.Kind.class)
    @Timeout(value = 5, unit = TimeUnit.MINUTES) // CI's share takes well under one; many seeds: bench/conformance.sh
    void randomChangesEndIdenticalOnTheTarget(Conformance.Kind kind) throws Exception {
        Conformance.Options o = Conformance.Options.fromSystemProperties(3, 80, 1000, 5000, "");
        assumeTrue(o.kinds().contains(kind), "conformance.kinds leaves " + kind + " out");
        List<Conformance.Result> results = Conformance.runAll(kind, o, work, System.out);
        System.out.println("[conformance] " + Conformance.summary(kind, results));
        String failed = results.stream().filter(r -> !r.identical())
                .map(r -> "seed " + r.seed() + " (replay: " + o.replay(kind, r.seed()) + "; report " + r.report()
                        .toAbsolutePath() + "):\n  " + r.differences().stream().limit(30).map(RandomOps::abbreviated)
                        .collect(Collectors.joining("\n  ")))
                .collect(Collectors.joining("\n"));
        assertEquals("", failed, Conformance.summary(kind, results));
    }

    /**
     * Names that are not UTF-8, and names with a backslash or a newline, made by a shell in a new directory, written
     * again at their names, and made directly in the root; compared as bytes by find in a subprocess. The layers
     * between the file system and the wire that hold a name as a Java String cannot carry bytes that are not UTF-8
     * (the JDK decodes them to U+FFFD with sun.jnu.encoding = UTF-8, as LC_ALL=C.UTF-8 sets it): camel-file-watch's
     * event headers (CamelFileRelativePath; its body is a java.io.File, a String too, and the headers also turn '\'
     * into '/'), the change set (Strings), and the scanner's wire names (Path.getFileName().toString()). A Path read
     * from a directory does keep the bytes, and so does a file: URI.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(Conformance.Kind.class)
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void oddNamesReachTheTargetAsTheirBytes(Conformance.Kind kind) throws Exception {
        Path src = Files.createDirectories(work.resolve("src"));
        Path dst = Files.createDirectories(work.resolve("mirror"));
        try (Conformance.Target target = Conformance.Target.start(kind, work, src, dst)) {
            MirrorTrees.awaitSame(src, dst, 20_000);
            StringBuilder script = new StringBuilder("set -e; cd \"$1\"; mkdir fresh; ");
            for (String n : ODD_NAMES) {
                script.append("printf 'first\\n' > fresh/\"$(printf '").append(n).append("')\"; ");
            }
            shell(script.toString(), src); // a new directory: pushed as a tree, every name listed by the scanner
            List<String> afterTree = awaitSameBytes(src, dst);
            script = new StringBuilder("set -e; cd \"$1\"; ");
            for (String n : ODD_NAMES) {
                script.append("printf 'again\\n' >> fresh/\"$(printf '").append(n).append("')\"; ");
                script.append("printf 'root\\n' > \"$(printf '").append(n).append("')\"; ");
            }
            shell(script.toString(), src); // written at their names, and new in the root: each one an event
            List<String> afterEvents = awaitSameBytes(src, dst);
            assertEquals("", String.join("\n", afterTree) + (afterTree.isEmpty() ? "" : "\n") + String.join("\n",
                    afterEvents), kind.label + ": names as bytes (source | target)");
        }
    }

    /** Waits until find sees the same names, types, modes and contents in both trees; the differences otherwise. */
    private static List<String> awaitSameBytes(Path src, Path dst) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(8);
        while (true) {
            List<String> a;
            List<String> b;
            try {
                a = listing(src);
                b = listing(dst);
            } catch (AssertionError racing) { // a temporary file of a push in flight vanished under find
                if (System.nanoTime() > deadline) {
                    throw racing;
                }
                Thread.sleep(100);
                continue;
            }
            if (a.equals(b) || System.nanoTime() > deadline) {
                List<String> diff = new ArrayList<>();
                a.stream().filter(x -> !b.contains(x)).forEach(x -> diff.add("only in the source: " + x));
                b.stream().filter(x -> !a.contains(x)).forEach(x -> diff.add("only on the target: " + x));
                return diff;
            }
            Thread.sleep(100);
        }
    }

    /** find's view of a tree: "type mode name" and "sha256 name" records, names as bytes shown printable. */
    private static List<String> listing(Path root) throws Exception {
        byte[] out = shell("cd \"$1\" && find . -mindepth 1 -printf '%y %m %P\\0' | sort -z"
                + " && find . -type f -print0 | sort -z | xargs -0 -r sha256sum -z", root);
        List<String> records = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < out.length; i++) {
            if (out[i] == 0) {
                records.add(NameBytes.printable(NameBytes.key(Arrays.copyOfRange(out, start, i))));
                start = i + 1;
            }
        }
        return records;
    }

    /** Runs a script with sh (the directory as $1) within 10 s; its stdout as bytes. */
    private static byte[] shell(String script, Path dir) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("sh", "-c", script, "sh", dir.toString()).redirectError(
                ProcessBuilder.Redirect.INHERIT).start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Thread reader = new Thread(() -> {
            try (InputStream in = p.getInputStream()) {
                in.transferTo(out);
            } catch (IOException ignored) {
                // the process was killed: its exit status below says so
            }
        });
        reader.start();
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("sh did not finish within 10 s: " + script);
        }
        reader.join(5_000);
        assertEquals(0, p.exitValue(), "sh failed: " + script);
        return out.toByteArray();
    }
}
