package io.camelrsync.flist;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.camelrsync.testing.RsyncDaemon;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Our transmission order is the receiver's sorted order (flist.c f_name_cmp): the file index the daemon asks
 * for must name the same file on both sides. rsync's own dry run prints that order, so it is the referee.
 */
class FileListOrderTest {
    @TempDir
    Path work;

    @Test
    void scannerOrderIsRsyncsSortedOrder() throws Exception {
        RsyncDaemon.requireRsync();
        Path src = Files.createDirectories(work.resolve("src"));
        // names that differ only around '/', '.', '-', '+', space, case and digits, dirs and files mixed
        for (String d : List.of("a", "a.b", "a-b", "a b", "a+", "A", "Z", "z", "b/c", "b/c.d", "b/c-", "ab",
                "a/b/c/d", "é", "中")) {
            Files.createDirectories(src.resolve(d));
        }
        for (String f : List.of("a0", "a.c", "a.b/y", "a b/z", "a+/q", "A/f", "Z/g", "z/h", "b.txt", "b1", "b/c.e",
                "b/c/d", "b/c.d/x", "ab.txt", "a/b.x", "a/b/c/e", "a/b/c/d/f", "é/é", "中/文", "a/!", "a/~")) {
            Files.writeString(src.resolve(f), f);
        }
        Process p = new ProcessBuilder("rsync", "-rn", "--no-inc-recursive", "--out-format=%n", src + "/",
                work.resolve("dst") + "/").redirectErrorStream(true).start();
        List<String> rsyncOrder = new ArrayList<>();
        for (String line : new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
            if (!line.isBlank() && !line.startsWith("created directory")) {
                rsyncOrder.add(line);
            }
        }
        assertEquals(0, p.waitFor());

        List<String> ours = new ArrayList<>();
        new FileScanner(src, "", PathFilter.NONE, w -> { }).startTree()
                .forEach(e -> ours.add(e.isDirectory() ? e.path + "/" : e.path));
        assertEquals(rsyncOrder, ours);

        // A receiver gets entries in any order and must sort them the same way.
        List<String> shuffled = new ArrayList<>(rsyncOrder);
        java.util.Collections.shuffle(shuffled, new java.util.Random(7));
        shuffled.sort((x, y) -> FileListOrder.compare(bytes(x), x.endsWith("/"), bytes(y), y.endsWith("/")));
        assertEquals(rsyncOrder, shuffled);
    }

    private static byte[] bytes(String listed) {
        String p = listed.equals("./") ? "." : listed.endsWith("/") ? listed.substring(0, listed.length() - 1)
                : listed;
        return p.getBytes(StandardCharsets.UTF_8);
    }
}
