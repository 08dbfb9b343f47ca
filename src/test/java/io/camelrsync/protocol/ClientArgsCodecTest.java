package io.camelrsync.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.lang.reflect.RecordComponent;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * One codec for the server arguments: what our client writes ({@link ClientArgs#toArgs}) parses back, in the
 * daemon, to the very settings it was written from, for every option either end knows.
 */
class ClientArgsCodecTest {
    static Stream<Consumer<ClientArgs.Builder>> settings() {
        return Stream.of(
                b -> { },
                b -> {
                    b.recursive = b.links = b.perms = b.times = b.group = b.owner = b.devices = b.specials = true;
                    b.hardLinks = b.delete = true;
                },
                b -> {
                    b.sender = b.recursive = b.checksum = b.dryRun = true;
                    b.verbose = 2;
                    b.devices = true; // --devices alone
                },
                b -> {
                    b.specials = true; // --specials alone
                    b.compress = true;
                    b.compressLevel = 9;
                },
                b -> {
                    b.compress = true;
                    b.compressChoice = "zstd";
                    b.compressLevel = -5;
                },
                b -> {
                    b.compress = true;
                    b.compressChoice = "zlib";
                },
                b -> {
                    b.compress = true;
                    b.compressChoice = "zlibx";
                },
                b -> {
                    b.compress = true;
                    b.compressChoice = "lz4";
                    b.checksumChoice = "xxh128,md5";
                },
                b -> {
                    b.backup = true;
                    b.backupDir = "old files [*]/$x";
                    b.suffix = "";
                    b.fuzzy = 2;
                },
                b -> {
                    b.backup = true;
                    b.suffix = ".bak;1";
                    b.altDest = "link-dest";
                    b.altDirs.addAll(List.of("/prev one", "../prev2"));
                    b.ignoreTimes = b.numericIds = true;
                    b.timeout = 30;
                    b.bwlimit = 512;
                });
    }

    @ParameterizedTest
    @MethodSource("settings")
    void whatOurClientWritesTheDaemonParsesBack(Consumer<ClientArgs.Builder> setting) throws Exception {
        for (String caps : List.of("L", "LfxC", "LfxCIvu")) {
            ClientArgs.Builder b = new ClientArgs.Builder();
            setting.accept(b);
            b.caps = caps;
            b.paths.add("module/sub dir");
            ClientArgs written = b.build();
            List<String> args = written.toArgs();
            ClientArgs parsed = ClientArgs.parse(args);
            assertNull(parsed.refusal(), () -> args + ": " + parsed.refusal());
            for (RecordComponent c : ClientArgs.class.getRecordComponents()) {
                if (!c.getName().equals("used")) { // what the parser saw, which a built request does not record
                    assertEquals(c.getAccessor().invoke(written), c.getAccessor().invoke(parsed),
                            c.getName() + " after " + args);
                }
            }
            assertEquals(args, parsed.toArgs(), "writing what was parsed gives the same arguments");
        }
    }

    /** The words rsync 3.x's client sends for "rsync -aH --delete -z src/ host::module" at protocol 32. */
    @Test
    void theArgumentsAreWordedAsRsyncsClientWordsThem() {
        ClientArgs.Builder b = new ClientArgs.Builder();
        b.recursive = b.links = b.perms = b.times = b.group = b.owner = b.devices = b.specials = true;
        b.hardLinks = b.delete = b.compress = true;
        b.caps = "LfxCIvu";
        b.paths.add("module");
        assertEquals(List.of("--server", "-lHogDtprze.LfxCIvu", "--delete", ".", "module"), b.build().toArgs());
    }
}
