package io.camelrsync.daemonconf;

import io.camelrsync.filter.Wildcard;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * "hosts allow" / "hosts deny" as rsync's access.c applies them: an allow match always allows; an allow list
 * without a deny list refuses everyone else; a deny match refuses; the rest are allowed. A token is an address
 * (with /bits or /netmask; /0 matches all), a host-name wildcard matched against the peer's reverse-DNS name,
 * or a plain host name whose forward lookup must yield the peer's address. Lookups that fail count against
 * the peer: a deny entry that cannot be checked denies.
 */
public final class HostAccess {
    private static final Pattern NUMERIC = Pattern.compile("[0-9.]+|.*:.*");

    /** DNS as the access check sees it; tests pass their own. */
    public interface Resolver {
        /** The peer's name by reverse lookup, empty when it has none or the lookup failed. */
        Optional<String> reverse(InetAddress peer);

        /** All addresses of a name; throws when it does not resolve. */
        List<InetAddress> forward(String name) throws UnknownHostException;

        static Resolver system() {
            return new Resolver() {
                @Override
                public Optional<String> reverse(InetAddress peer) {
                    String name = peer.getCanonicalHostName();
                    return name.equals(peer.getHostAddress()) ? Optional.empty() : Optional.of(name);
                }

                @Override
                public List<InetAddress> forward(String name) throws UnknownHostException {
                    return List.of(InetAddress.getAllByName(name));
                }
            };
        }
    }

    private final Resolver resolver;

    public HostAccess(Resolver resolver) {
        this.resolver = resolver;
    }

    public boolean allowed(List<String> allow, List<String> deny, InetAddress peer) {
        Optional<String> host = allow.isEmpty() && deny.isEmpty() ? Optional.empty() : resolver.reverse(peer);
        if (!allow.isEmpty()) {
            if (matchesAny(allow, peer, host, false)) {
                return true;
            }
            if (deny.isEmpty()) {
                return false;
            }
        }
        return deny.isEmpty() || !matchesAny(deny, peer, host, true);
    }

    private boolean matchesAny(List<String> tokens, InetAddress peer, Optional<String> host, boolean deny) {
        for (String raw : tokens) {
            String tok = raw.toLowerCase(Locale.ROOT);
            if (isAddress(tok) ? matchesAddress(tok, peer) : matchesHost(tok, peer, host, deny)) {
                return true;
            }
        }
        return false;
    }

    private static boolean isAddress(String tok) {
        int slash = tok.indexOf('/');
        return NUMERIC.matcher(slash < 0 ? tok : tok.substring(0, slash)).matches();
    }

    private boolean matchesHost(String tok, InetAddress peer, Optional<String> host, boolean deny) {
        if (host.isPresent()) {
            if (Pattern.compile(Wildcard.toRegex(tok), Pattern.CASE_INSENSITIVE).matcher(host.get()).matches()) {
                return true;
            }
        } else if (deny && Wildcard.hasWildcards(tok)) {
            return true; // no name to test the wildcard against: it may be the denied host
        }
        if (Wildcard.hasWildcards(tok)) {
            return false;
        }
        try {
            return resolver.forward(tok).contains(peer);
        } catch (UnknownHostException e) {
            return deny; // an unresolvable deny entry fails closed; an allow entry simply does not match
        }
    }

    private static boolean matchesAddress(String tok, InetAddress peer) {
        int slash = tok.indexOf('/');
        byte[] net;
        try {
            net = InetAddress.getByName(slash < 0 ? tok : tok.substring(0, slash)).getAddress(); // numeric: no DNS
        } catch (UnknownHostException e) {
            return false;
        }
        byte[] addr = peer.getAddress();
        if (net.length != addr.length) {
            return false;
        }
        byte[] mask = new byte[addr.length];
        if (slash < 0) {
            java.util.Arrays.fill(mask, (byte) 0xff);
        } else {
            String m = tok.substring(slash + 1);
            if (m.contains(".") || m.contains(":")) {
                try {
                    mask = InetAddress.getByName(m).getAddress();
                } catch (UnknownHostException e) {
                    return false;
                }
                if (mask.length != addr.length) {
                    return false;
                }
            } else {
                int bits;
                try {
                    bits = Integer.parseInt(m);
                } catch (NumberFormatException e) {
                    return false; // malformed mask: rsync logs it and does not match
                }
                if (bits == 0) {
                    return true;
                }
                if (bits < 0 || bits > addr.length * 8) {
                    return false;
                }
                for (int i = 0; i < mask.length; i++) {
                    int b = Math.max(0, Math.min(8, bits - 8 * i));
                    mask[i] = (byte) (0xff << (8 - b));
                }
            }
        }
        for (int i = 0; i < addr.length; i++) {
            if (((net[i] ^ addr[i]) & mask[i]) != 0) {
                return false;
            }
        }
        return true;
    }
}
