package io.camelrsync.daemonconf;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Allow/deny decisions with rsync's access.c rules, DNS replaced by a table. */
class HostAccessTest {
    private static final Map<String, String> REVERSE = Map.of("192.168.0.45", "backup.example.com",
            "10.1.2.3", "build7.ci.example.org");
    private static final Map<String, String> FORWARD = Map.of("backup.example.com", "192.168.0.45",
            "mirror.example.com", "192.168.0.99");

    private static final HostAccess ACCESS = new HostAccess(new HostAccess.Resolver() {
        @Override
        public Optional<String> reverse(InetAddress peer) {
            return Optional.ofNullable(REVERSE.get(peer.getHostAddress()));
        }

        @Override
        public List<InetAddress> forward(String name) throws UnknownHostException {
            String a = FORWARD.get(name);
            if (a == null) {
                throw new UnknownHostException(name);
            }
            return List.of(InetAddress.getByName(a));
        }
    });

    @ParameterizedTest(name = "{0} allow=[{1}] deny=[{2}] -> {3}")
    @CsvSource(delimiter = '|', value = {
        // the seed's module: the allowed host gets in, the denied ones and everyone else do not
        "192.168.0.45 | 192.168.0.45 | 192.168.0.46,192.168.0.47 | true",
        "192.168.0.46 | 192.168.0.45 | 192.168.0.46,192.168.0.47 | false",
        "192.168.0.50 | 192.168.0.45 | 192.168.0.46,192.168.0.47 | true",
        "192.168.0.50 | 192.168.0.45 |                           | false",
        "192.168.0.50 |              | 192.168.0.0/24            | false",
        "192.168.1.50 |              | 192.168.0.0/24            | true",
        "192.168.0.50 | 192.168.0.0/255.255.255.0 |             | true",
        "10.9.9.9     | 0.0.0.0/0    |                           | true",
        "10.9.9.9     | 10.0.0.0/33  |                           | false",
        "192.168.0.45 | *.example.com |                          | true",
        "10.1.2.3     | *.EXAMPLE.com |                          | false",
        "10.1.2.3     | build?.ci.example.org |                  | true",
        "192.168.0.45 | backup.example.com |                     | true",
        "192.168.0.99 |              | mirror.example.com        | false",
        // a deny entry that cannot be checked denies: an unresolvable name, or a wildcard without a reverse name
        "10.5.5.5     |              | gone.example.net          | false",
        "10.5.5.5     | gone.example.net |                       | false",
        "10.5.5.5     |              | *.evil.example            | false",
        "10.1.2.3     |              | *.evil.example            | true",
        "2001:db8::1  | 2001:db8::/32 |                          | true",
        "2001:db8::1  | 192.168.0.0/16 |                         | false",
        "127.0.0.1    |              |                           | true",
    })
    void decidesAsRsyncDoes(String peer, String allow, String deny, boolean expected) throws Exception {
        assertEquals(expected, ACCESS.allowed(list(allow), list(deny), InetAddress.getByName(peer)));
    }

    private static List<String> list(String s) {
        return s == null || s.isBlank() ? List.of() : List.of(s.trim().split("[ ,\\t]+"));
    }
}
