package io.camelrsync.daemon;

import io.camelrsync.protocol.ExitCode;
import io.camelrsync.protocol.RsyncException;
import java.util.ArrayList;
import java.util.List;

/**
 * The arguments a client sends a daemon (options.c server_options): "--server", the letter bundle with the
 * capability string after 'e', long options, ".", then the module paths. Only what the receiving side needs
 * is kept; options we cannot honour are refused the way rsync refuses them.
 */
public record ClientArgs(boolean sender, boolean recursive, boolean links, boolean hardLinks, boolean perms,
                         boolean times, boolean owner, boolean group, boolean devices, boolean specials,
                         boolean checksum, boolean dryRun, boolean compress, boolean delete, boolean numericIds,
                         int timeout, String capabilities, List<String> paths) {

    public boolean capability(char c) {
        return capabilities.indexOf(c) >= 0;
    }

    public static ClientArgs parse(List<String> args) throws RsyncException {
        if (args.isEmpty() || !args.get(0).equals("--server")) {
            throw new RsyncException(ExitCode.PROTOCOL, "the client's arguments do not start with --server");
        }
        boolean sender = false;
        boolean recursive = false;
        boolean links = false;
        boolean hardLinks = false;
        boolean perms = false;
        boolean times = false;
        boolean owner = false;
        boolean group = false;
        boolean devices = false;
        boolean specials = false;
        boolean checksum = false;
        boolean dryRun = false;
        boolean compress = false;
        boolean delete = false;
        boolean numericIds = false;
        int timeout = 0;
        String caps = "";
        List<String> paths = new ArrayList<>();
        boolean inPaths = false;
        for (int i = 1; i < args.size(); i++) {
            String a = args.get(i);
            if (inPaths) {
                paths.add(a);
            } else if (a.equals(".")) {
                inPaths = true;
            } else if (a.startsWith("--")) {
                String name = a.contains("=") ? a.substring(0, a.indexOf('=')) : a;
                String value = a.contains("=") ? a.substring(a.indexOf('=') + 1) : null;
                switch (name) {
                    case "--sender" -> sender = true;
                    case "--delete", "--delete-during", "--delete-delay", "--delete-after", "--delete-before",
                            "--del" -> delete = true;
                    case "--numeric-ids" -> numericIds = true;
                    case "--timeout" -> timeout = number(a, value);
                    case "--devices" -> devices = true;
                    case "--specials" -> specials = true;
                    case "--no-implied-dirs", "--force", "--partial", "--omit-dir-times", "--size-only",
                            "--ignore-times", "--existing", "--ignore-existing", "--checksum-seed",
                            "--compress-level", "--checksum-choice", "--compress-choice", "--modify-window",
                            "--max-delete", "--log-format", "--out-format", "--mkpath", "--fsync",
                            "--no-whole-file", "--whole-file", "--safe-links" -> {
                        // accepted: they do not change how the stream is parsed
                    }
                    default -> throw new RsyncException(ExitCode.UNSUPPORTED,
                            "rsync: on remote machine: " + name + ": unknown option");
                }
            } else if (a.startsWith("-")) {
                for (int j = 1; j < a.length(); j++) {
                    char c = a.charAt(j);
                    if (c == 'e') {
                        caps = a.substring(j + 1); // the rest of the bundle is the client's capabilities
                        break;
                    }
                    switch (c) {
                        case 'r' -> recursive = true;
                        case 'l' -> links = true;
                        case 'H' -> hardLinks = true;
                        case 'p' -> perms = true;
                        case 't' -> times = true;
                        case 'o' -> owner = true;
                        case 'g' -> group = true;
                        case 'D' -> devices = specials = true;
                        case 'c' -> checksum = true;
                        case 'n' -> dryRun = true;
                        case 'z' -> compress = true;
                        case 'v', 'q', 'i', 'u', 'd', 'x', 'L', 'k', 'K', 'S', 'I', 'O', 'J', 'm', 'y', 'W', 'b',
                                'U', 'N' -> {
                            // verbosity, update, one-file-system and the like: no effect on the wire format
                        }
                        case 's' -> throw new RsyncException(ExitCode.UNSUPPORTED,
                                "rsync: on remote machine: -s (--secluded-args) is not supported by this daemon");
                        default -> throw new RsyncException(ExitCode.UNSUPPORTED,
                                "rsync: on remote machine: -" + c + ": unknown option");
                    }
                }
            } else {
                throw new RsyncException(ExitCode.PROTOCOL, "unexpected argument before \".\": " + a);
            }
        }
        if (!caps.isEmpty() && caps.charAt(0) == '.') {
            caps = caps.substring(1); // "e." + capabilities: the '.' stands for the version in old clients
        }
        return new ClientArgs(sender, recursive, links, hardLinks, perms, times, owner, group, devices, specials,
                checksum, dryRun, compress, delete, numericIds, timeout, caps, paths);
    }

    private static int number(String arg, String value) throws RsyncException {
        try {
            int v = Integer.parseInt(value);
            if (v < 0) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException | NullPointerException e) {
            throw new RsyncException(ExitCode.SYNTAX, "invalid option value in " + arg);
        }
    }
}
