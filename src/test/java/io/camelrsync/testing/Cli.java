package io.camelrsync.testing;

import io.camelrsync.cli.Main;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** Runs the camel-rsync CLI in-process and captures what a user would see. */
public record Cli(int exitCode, String out, String err) {
    public static Cli run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(List.of(args), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Cli(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** The number from an rsync --stats line such as "Literal data: 1,234 bytes". */
    public long stat(String label) {
        for (String line : out.split("\n")) {
            if (line.startsWith(label + ": ")) {
                String num = line.substring(label.length() + 2).split(" ")[0].replace(",", "");
                return Long.parseLong(num);
            }
        }
        throw new AssertionError("no '" + label + "' line in output:\n" + out);
    }

    @Override
    public String toString() {
        return "exit " + exitCode + "\n--- out ---\n" + out + "\n--- err ---\n" + err;
    }
}
