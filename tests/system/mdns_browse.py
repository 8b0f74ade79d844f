"""Browse for faderd's services over mDNS with python-zeroconf (an
independent implementation) for up to SECONDS, and print what was found
as one JSON line: {type: [{name, addresses, port, properties}]}.

    python mdns_browse.py SECONDS
"""

import json
import sys
import time

from zeroconf import ServiceBrowser, Zeroconf

TYPES = ["_http._tcp.local.", "_osc._udp.local."]


class Found:
    def __init__(self):
        self.names = {t: set() for t in TYPES}

    def add_service(self, zc, type_, name):
        self.names[type_].add(name)

    def update_service(self, zc, type_, name):
        self.names[type_].add(name)

    def remove_service(self, zc, type_, name):
        pass


def main():
    seconds = float(sys.argv[1])
    zc = Zeroconf()
    found = Found()
    ServiceBrowser(zc, TYPES, found)
    end = time.time() + seconds
    while time.time() < end and not all(found.names.values()):
        time.sleep(0.1)
    out = {}
    for t in TYPES:
        out[t] = []
        for name in sorted(found.names[t]):
            info = zc.get_service_info(t, name, timeout=3000)
            if info is None:
                continue
            out[t].append(
                {
                    "name": name,
                    "addresses": info.parsed_addresses(),
                    "port": info.port,
                    "properties": {
                        k.decode(): (v.decode() if v is not None else None)
                        for k, v in info.properties.items()
                    },
                }
            )
    zc.close()
    print(json.dumps(out))


main()
