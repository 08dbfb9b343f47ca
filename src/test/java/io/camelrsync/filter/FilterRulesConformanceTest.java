package io.camelrsync.filter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.camelrsync.testing.RsyncDaemon;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Our rule matching selects exactly the paths the real rsync binary selects, rule set by rule set. */
class FilterRulesConformanceTest {
    @TempDir
    static Path work;
    static Path tree;

    @BeforeAll
    static void buildTree() throws IOException {
        RsyncDaemon.requireRsync();
        tree = Files.createDirectories(work.resolve("tree"));
        for (String f : List.of("a.txt", "b.tmp", ".hidden", "a/x.txt", "a/x.tmp", "a/b/b1/deep.txt", "a/b/b2.txt",
                "b/b1/inner.c", "b/b2/inner.h", "cache/blob", "src/cache/blob2", "src/main.c", "src/util.h",
                "docs/name with space.md", "docs/中文.txt", "logs/2024/app.log", "logs/2025/app.log",
                "logs/readme", "build/out/x.o", "build/keep.o", "tmp", "data1", "data2", "datax", "file[1].txt")) {
            Path p = tree.resolve(f);
            Files.createDirectories(p.getParent());
            Files.writeString(p, f);
        }
        Files.createDirectories(tree.resolve("empty/tmp"));
    }

    static Stream<List<String>> ruleSets() {
        return Stream.of(
                List.of("--exclude=*.tmp"),
                List.of("--exclude=a/", "--exclude=b/b1/"),
                List.of("--exclude=/a", "--exclude=tmp"),
                List.of("--exclude=tmp/"),
                List.of("--exclude=cache/"),
                List.of("--exclude=/src/cache"),
                List.of("--exclude=**/b1"),
                List.of("--exclude=logs/**/app.log"),
                List.of("--exclude=logs/***"),
                List.of("--exclude=data[12]", "--exclude=*.[ch]"),
                List.of("--exclude=data[!1]"),
                List.of("--exclude=?.txt"),
                List.of("--include=build/keep.o", "--exclude=*.o"),
                List.of("--include=*/", "--include=*.txt", "--exclude=*"),
                List.of("--exclude=.*"),
                List.of("--exclude=name with space.md", "--exclude=中文.txt"),
                List.of("--exclude=file\\[1\\].txt"),
                List.of("--exclude=- a.txt", "--exclude=+ b.tmp", "--exclude=*.tmp"),
                List.of("--filter=- *.txt", "--filter=+ a/", "--filter=exclude docs"),
                List.of("--exclude=src/*.c"),
                List.of("--exclude=a/b/*"));
    }

    @ParameterizedTest
    @MethodSource("ruleSets")
    void selectsWhatRsyncSelects(List<String> options) throws Exception {
        FilterRules rules = FilterRules.empty();
        for (String o : options) {
            String value = o.substring(o.indexOf('=') + 1);
            if (o.startsWith("--exclude=")) {
                rules = rules.withExclude(value);
            } else if (o.startsWith("--include=")) {
                rules = rules.withInclude(value);
            } else {
                rules = rules.withRule(value);
            }
        }
        assertEquals(rsyncSelection(options), ourSelection(rules), "rules " + options);
    }

    @Test
    void excludeFromFileWithCommentsMatchesRsync() throws Exception {
        Path list = work.resolve("exclude.list");
        Files.writeString(list, "# comment\n; another comment\n\n*.tmp\r\na/\n- logs/2024/\n+ build/keep.o\n*.o\n");
        List<String> options = List.of("--exclude-from=" + list);
        assertEquals(rsyncSelection(options), ourSelection(FilterRules.empty().withExcludeFrom(list)));
    }

    @Test
    void wireTextIsWhatTheDaemonParses() {
        FilterRules r = FilterRules.empty().withExclude("*.tmp").withInclude("keep/").withExclude("/a/")
                .withRule("exclude docs");
        assertEquals(List.of("- *.tmp", "+ keep/", "- /a/", "- docs"), r.wireRules());
    }

    @Test
    void mergeRulesAreRefusedWithAClearMessage() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FilterRules.empty().withRule(": .rsync-filter"));
        assertTrue(e.getMessage().contains("dir-merge"), e.getMessage());
        assertTrue(FilterRules.empty().withExclude("x").withExclude("!").isEmpty(), "'!' clears the list");
        assertFalse(FilterRules.empty().withExclude("x/").isExcluded("x", false), "dir-only rule skips files");
    }

    /** What the real rsync would send, as "path" and "dir/" lines. */
    private static Set<String> rsyncSelection(List<String> options) throws Exception {
        Path dst = Files.createTempDirectory(work, "dst");
        List<String> cmd = new ArrayList<>(List.of("rsync", "-r", "--dry-run", "--out-format=%n"));
        cmd.addAll(options);
        cmd.add(tree + "/");
        cmd.add(dst + "/");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        Set<String> s = new TreeSet<>();
        for (String line : out.split("\n")) {
            if (!line.isBlank() && !line.equals("./")) {
                s.add(line);
            }
        }
        return s;
    }

    private static Set<String> ourSelection(FilterRules rules) throws IOException {
        Set<String> s = new TreeSet<>();
        walk(tree, "", rules, s);
        return s;
    }

    private static void walk(Path dir, String prefix, FilterRules rules, Set<String> out) throws IOException {
        try (Stream<Path> kids = Files.list(dir)) {
            for (Path k : kids.toList()) {
                String rel = prefix + k.getFileName();
                boolean isDir = Files.isDirectory(k);
                if (rules.isExcluded(rel, isDir)) {
                    continue;
                }
                out.add(isDir ? rel + "/" : rel);
                if (isDir) {
                    walk(k, rel + "/", rules, out);
                }
            }
        }
    }
}
