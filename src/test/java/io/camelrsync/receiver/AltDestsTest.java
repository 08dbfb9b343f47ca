package io.camelrsync.receiver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.camelrsync.protocol.ClientArgs;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The client's alt-dir arguments, their dirs below the module, and --fuzzy's scoring (moved from AltDestTest). */
class AltDestsTest {
    @Test
    void argumentsAsStockClientsSendThem() throws Exception {
        ClientArgs a = ClientArgs.parse(List.of("--server", "-logDtpre.iLsfxCIvu", "--link-dest", "/old\\ dir",
                "--link-dest=../b", ".", "m/site/"));
        assertNull(a.refusal());
        assertEquals("link-dest", a.altDest());
        assertEquals(List.of("/old dir", "../b"), a.altDirs());
        AltDests d = AltDests.of(a, List.of("site"));
        assertEquals(List.of("old dir"), d.dirs().get(0).parts());
        assertEquals(List.of("b"), d.dirs().get(1).parts());

        a = ClientArgs.parse(List.of("--server", "-lr", "--link-dest=x", "--copy-dest", "y", ".", "m/"));
        assertEquals("rsync: ERROR: the --copy-dest option conflicts with the --link-dest option", a.refusal());
        List<String> many = new ArrayList<>(List.of("--server", "-lr"));
        for (int i = 0; i <= ClientArgs.MAX_BASIS_DIRS; i++) {
            many.add("--compare-dest=d" + i);
        }
        many.addAll(List.of(".", "m/"));
        a = ClientArgs.parse(many);
        assertEquals("rsync: ERROR: at most 20 --compare-dest args may be specified", a.refusal());
        assertEquals(2, ClientArgs.parse(List.of("--server", "-yyr", ".", "m/")).fuzzy());
    }

    /** util1.c find_filename_suffix and fuzzy_distance on a few names, worked out by hand from the C. */
    @Test
    void fuzzyDistanceAndSuffixAsRsyncComputesThem() {
        assertEquals(List.of(5, 4), suffixOf("photo.jpg.bak"), ".bak is skipped");
        assertEquals(List.of(1, 2), suffixOf("x.c~"), "a trailing ~ is ignored");
        assertEquals(List.of(0, 0), suffixOf(".profile"), "leading dots are no suffix");
        assertEquals(List.of(5, 4), suffixOf("notes.txt.1"), "an all-digit suffix gives way");
        byte[] a = "deep.bin".getBytes(StandardCharsets.UTF_8);
        byte[] b = "deeper.bin".getBytes(StandardCharsets.UTF_8);
        assertEquals(0, Fuzzy.distance(a, 0, a.length, a, 0, a.length, 25L << 16));
        assertEquals(2 * (1L << 16) + 'e' + 'r', Fuzzy.distance(a, 0, a.length, b, 0, b.length, 25L << 16));
        assertEquals(0xFFFFL * (1 << 16) + 1, Fuzzy.distance(a, 0, a.length, b, 0, b.length, 1L << 16),
                "more than the limit by length alone");
        Fuzzy.Candidate near = new Fuzzy.Candidate("deep.bin", 10, 1);
        Fuzzy.Candidate same = new Fuzzy.Candidate("zzz", 20, 2);
        assertEquals("zzz", Fuzzy.find(List.of(List.of(near, same)), "deeper.bin", 20, 2).candidate().name);
        assertEquals("deep.bin", Fuzzy.find(List.of(List.of(near, same)), "deeper.bin", 30, 2).candidate().name);
        same.sent = true;
        assertEquals("deep.bin", Fuzzy.find(List.of(List.of(near, same)), "deeper.bin", 20, 2).candidate().name);
    }

    static List<Integer> suffixOf(String name) {
        int[] s = Fuzzy.suffix(name.getBytes(StandardCharsets.UTF_8));
        return List.of(s[0], s[1]);
    }

    @Test
    void basisDirsAreSanitizedAsRsyncsDaemonDoesIt() {
        List<String> dest = List.of("a", "b");
        assertEquals(List.of("a", "x"), ModulePath.belowModule("../x", dest));
        assertEquals(List.of("x"), ModulePath.belowModule("../../x", dest));
        assertEquals(List.of("x"), ModulePath.belowModule("../../../../x", dest), "not above the module");
        assertEquals(List.of("x"), ModulePath.belowModule("/../x", dest));
        assertEquals(List.of("a", "b", "x"), ModulePath.belowModule("x/./y/..", dest));
        assertEquals(List.of("a", "y"), ModulePath.belowModule("x/../../y", dest));
        assertEquals(List.of(), ModulePath.belowModule("/", dest));
        assertEquals(List.of("..", "..", "x"), ModulePath.sanitize("../../../x", 2));
        assertThrows(IllegalArgumentException.class, () -> AltDests.Kind.of("backup-dir"));
    }
}
