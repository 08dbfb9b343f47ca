package io.camelrsync.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.camelrsync.testing.Cli;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * --help and --version as rsync users expect them, and one set of options: what help lists, the parsers take,
 * and the man page documents.
 */
class HelpTest {
    @TempDir
    Path work;

    @Test
    void everyCommandHelpsWithHelpOrALoneH() {
        for (String command : Help.COMMANDS) {
            for (String flag : List.of("--help", "-h")) {
                Cli r = Cli.run(command, flag);
                assertEquals(0, r.exitCode(), r::toString);
                assertTrue(r.out().startsWith("usage: camel-rsync " + command), r::toString);
                assertTrue(r.out().contains("Examples:"), r::toString);
            }
        }
        Cli top = Cli.run("--help");
        assertEquals(0, top.exitCode());
        Help.COMMANDS.forEach(c -> assertTrue(top.out().contains("  " + c + " "), top::toString));
    }

    @Test
    void versionIsTheProjectsOnEveryCommand() throws Exception {
        Matcher m = Pattern.compile("<artifactId>camel-rsync</artifactId>\\s*<version>([^<]+)</version>")
                .matcher(Files.readString(Path.of("pom.xml")));
        assertTrue(m.find(), "the project's version in pom.xml");
        for (List<String> args : List.of(List.of("--version"), List.of("-V"), List.of("version"),
                List.of("push", "--version"), List.of("mirror", "-V"), List.of("daemon", "--version"))) {
            Cli r = Cli.run(args.toArray(String[]::new));
            assertEquals(0, r.exitCode(), r::toString);
            assertTrue(r.out().startsWith("camel-rsync version " + m.group(1) + " "), r::toString);
        }
    }

    @Test
    void everyOptionHelpListsIsTakenAndEveryOptionTakenIsListedAndInTheManPage() throws Exception {
        Path list = Files.writeString(work.resolve("list"), "x\n");
        List<Help.Option> push = new ArrayList<>(Help.PUSH);
        push.addAll(Help.PUSH_ONLY);
        for (Help.Option o : push) {
            for (String name : o.names()) {
                List<String> argv = new ArrayList<>(List.of("-b"));
                argv.add(name);
                if (o.flags().contains("=")) {
                    argv.add(valueFor(name, list));
                }
                if (name.equals("--files-from")) {
                    continue; // PushCommand's own: parsed before the session, checked by the push tests
                }
                PushArgs.parse(argv); // throws UsageException for an option it does not take
            }
        }
        String man = Files.readString(Path.of("docs/camel-rsync.1")).replace("\\-", "-");
        List<String> documented = new ArrayList<>();
        Stream.of(Help.PUSH, Help.PUSH_ONLY, Help.MIRROR_ONLY, Help.DAEMON, Help.COMMON).flatMap(List::stream)
                .forEach(o -> {
                    documented.addAll(o.names());
                    assertTrue(man.contains(".B " + o.flags()), "docs/camel-rsync.1 lacks " + o.flags());
                });
        // every long option a parser switches on is one help lists
        for (String source : List.of("PushArgs", "PushCommand", "MirrorCommand", "DaemonCommand")) {
            Matcher c = Pattern.compile("\"(--[a-z-]+)[=\"]").matcher(Files.readString(
                    Path.of("src/main/java/io/camelrsync/cli/" + source + ".java")));
            while (c.find()) {
                assertTrue(documented.contains(c.group(1)), source + " takes " + c.group(1) + ", help lists it not");
            }
        }
    }

    private static String valueFor(String name, Path file) {
        return switch (name) {
            case "--port" -> "873";
            case "--timeout", "--contimeout" -> "5";
            case "--bwlimit" -> "1.5M";
            case "--protocol" -> "31";
            case "--checksum-choice", "--cc" -> "md5";
            case "--compress-choice", "--zc" -> "zstd";
            case "--compress-level", "--zl" -> "3";
            case "--exclude-from", "--include-from", "--password-file", "--files-from" -> file.toString();
            case "--filter" -> "- *.tmp";
            default -> "x";
        };
    }
}
