package io.camelrsync.client;

/**
 * A daemon destination: {@code rsync://[user@]host[:port]/module[/path]} or {@code [user@]host::module[/path]}.
 */
public record RsyncTarget(String user, String host, int port, String module, String path) {
    public static final int DEFAULT_PORT = 873;

    /** Parses a destination; {@code defaultPort} applies to the "::" form and URLs without a port. */
    public static RsyncTarget parse(String spec, int defaultPort) {
        String rest;
        String user = null;
        int port = defaultPort;
        String hostPart;
        String modPath;
        if (spec.startsWith("rsync://")) {
            rest = spec.substring("rsync://".length());
            int slash = rest.indexOf('/');
            if (slash < 0) {
                throw new IllegalArgumentException("no module in " + spec + " (expected rsync://host[:port]/module)");
            }
            hostPart = rest.substring(0, slash);
            modPath = rest.substring(slash + 1);
            int at = hostPart.lastIndexOf('@');
            if (at >= 0) {
                user = hostPart.substring(0, at);
                hostPart = hostPart.substring(at + 1);
            }
            int colon = hostPart.lastIndexOf(':');
            if (colon >= 0 && hostPart.indexOf(']', colon) < 0) {
                port = parsePort(hostPart.substring(colon + 1), spec);
                hostPart = hostPart.substring(0, colon);
            }
        } else {
            int dc = spec.indexOf("::");
            if (dc < 0) {
                throw new IllegalArgumentException("not a daemon destination: " + spec
                        + " (expected host::module or rsync://host/module; remote shells are not supported)");
            }
            hostPart = spec.substring(0, dc);
            modPath = spec.substring(dc + 2);
            int at = hostPart.lastIndexOf('@');
            if (at >= 0) {
                user = hostPart.substring(0, at);
                hostPart = hostPart.substring(at + 1);
            }
        }
        if (hostPart.startsWith("[") && hostPart.endsWith("]")) {
            hostPart = hostPart.substring(1, hostPart.length() - 1);
        }
        if (hostPart.isEmpty()) {
            throw new IllegalArgumentException("no host in " + spec);
        }
        while (modPath.startsWith("/")) {
            modPath = modPath.substring(1);
        }
        int slash = modPath.indexOf('/');
        String module = slash < 0 ? modPath : modPath.substring(0, slash);
        String path = slash < 0 ? "" : modPath.substring(slash + 1);
        if (module.isEmpty()) {
            throw new IllegalArgumentException("no module in " + spec);
        }
        if (user != null && user.isEmpty()) {
            user = null;
        }
        return new RsyncTarget(user, hostPart, port, module, path);
    }

    private static int parsePort(String s, String spec) {
        try {
            int p = Integer.parseInt(s);
            if (p <= 0 || p > 65535) {
                throw new NumberFormatException();
            }
            return p;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("invalid port '" + s + "' in " + spec);
        }
    }

    /** The path argument the daemon sees: module, then the path below it. */
    public String moduleArg() {
        return path.isEmpty() ? module + "/" : module + "/" + path;
    }

    @Override
    public String toString() {
        return "rsync://" + (user == null ? "" : user + "@") + host + ":" + port + "/" + module
                + (path.isEmpty() ? "" : "/" + path);
    }
}
