"""Outbound HTTP guarded against SSRF (docs/integrations.md, "SSRF guard").

At each request the URL's host is resolved, every address it resolves to is checked, and the request goes to the
checked address itself: the name is kept in the `Host` header and in TLS SNI (so the certificate is verified
against the name), and DNS cannot answer differently between the check and the connection. Private, loopback,
link-local, multicast, reserved and unspecified addresses (IPv4, IPv6, IPv4-mapped IPv6) are refused unless
`OUTBOUND_ALLOW_PRIVATE_ADDRESSES` (development and tests). Redirects are never followed.

    with OutboundClient() as client:
        response = client.post(url, content=body, headers=headers)  # raises BlockedAddress, httpx.HTTPError

`check_url_form(url)`: what saving a subscription checks at once (scheme, host, a literal address refused).
"""

import ipaddress
import socket
import threading
from urllib.parse import urlsplit, urlunsplit

import httpx
from flask import current_app

from app.errors import ValidationFailed

SCHEMES = ("http", "https")
DEFAULT_PORTS = {"http": 80, "https": 443}
MAX_URL_LENGTH = 2000


class BlockedAddress(Exception):
    """The URL's host is (or resolves to) an address we never send to; the message says which and why."""


class UnresolvableHost(Exception):
    """The URL's host has no address (DNS answered nothing, or no name server)."""


def private_addresses_allowed():
    return bool(current_app.config["OUTBOUND_ALLOW_PRIVATE_ADDRESSES"])


def https_required(allow_private=None):
    """In production (private addresses refused) only https: a receiver's secrets and our events travel in it."""
    return not (private_addresses_allowed() if allow_private is None else allow_private)


def why_blocked(address):
    """Why `address` (an ipaddress object) is refused, in words; None for a public address."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        reason = why_blocked(address.ipv4_mapped)
        return f"{reason} (IPv4-mapped)" if reason else None
    for flag, words in (
        ("is_unspecified", "an unspecified address"),
        ("is_loopback", "a loopback address"),
        ("is_link_local", "a link-local address"),
        ("is_multicast", "a multicast address"),
        ("is_private", "a private address"),
        ("is_reserved", "a reserved address"),
    ):
        if getattr(address, flag):
            return words
    if not address.is_global:  # 100.64.0.0/10 (carrier-grade NAT), 6to4/Teredo of private ones, ...
        return "not a public address"
    return None


def _literal_address(host):
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def check_url_form(url):
    """Refuse (ValidationFailed, on the field `url`) what can never be a webhook URL: not http(s) (not https in
    production), no host, credentials in it, a fragment, or a literal address we would refuse anyway. The name's
    addresses are checked at each delivery, not here (DNS may change). Returns the URL, stripped."""
    url = (url or "").strip()

    def refuse(message):
        raise ValidationFailed("The URL cannot receive webhooks.", {"url": [message]})

    if not url:
        refuse("Give the receiver's URL.")
    if len(url) > MAX_URL_LENGTH:
        refuse(f"At most {MAX_URL_LENGTH} characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        refuse("This is not a valid URL.")
    if parts.scheme not in SCHEMES:
        refuse("Only http:// and https:// URLs.")
    if not parts.hostname:
        refuse("The URL has no host.")
    if parts.username or parts.password:
        refuse("Credentials in the URL are not sent; remove them.")
    if parts.fragment:
        refuse("A URL with a #fragment: remove it.")
    if port == 0:
        refuse("Port 0 is not a port.")
    address = _literal_address(parts.hostname)
    if address is not None and not private_addresses_allowed():
        reason = why_blocked(address)
        if reason:
            refuse(f"{parts.hostname} is {reason}: webhooks go to public addresses only.")
    if https_required() and parts.scheme != "https":
        refuse("Only https:// URLs.")
    return url


def resolve_checked(host, port, allow_private):
    """The address to connect to for `host`: every address it resolves to is checked (one bad address refuses
    the name: a round-robin could hand us that one next). Raises BlockedAddress, UnresolvableHost."""
    literal = _literal_address(host)
    if literal is not None:
        addresses = [literal]
    else:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as error:
            raise UnresolvableHost(f"{host} could not be resolved ({error})") from error
        addresses = list(dict.fromkeys(ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos))
        if not addresses:
            raise UnresolvableHost(f"{host} has no address")
    if not allow_private:
        for address in addresses:
            reason = why_blocked(address)
            if reason:
                shown = host if literal is not None else f"{host} resolves to {address}, which"
                raise BlockedAddress(f"Not sent: {shown} is {reason}.")
    return addresses[0]


def pinned_request(url, allow_private):
    """(URL to the checked address, Host header value, SNI host name or None) of `url`. No app context needed
    (the delivery pool's threads call it)."""
    parts = urlsplit(url)
    if parts.scheme not in SCHEMES or not parts.hostname:
        raise BlockedAddress(f"Not sent: {url!r} is not an http(s) URL.")
    host = parts.hostname
    port = parts.port or DEFAULT_PORTS[parts.scheme]
    address = resolve_checked(host, port, allow_private)
    if https_required(allow_private) and parts.scheme != "https":
        raise BlockedAddress("Not sent: only https:// URLs in production.")
    shown_address = f"[{address}]" if address.version == 6 else str(address)
    host_header = f"[{host}]" if ":" in host else host
    if parts.port:
        host_header += f":{parts.port}"
    pinned = urlunsplit((parts.scheme, f"{shown_address}:{port}", parts.path or "/", parts.query, ""))
    sni = host if parts.scheme == "https" and _literal_address(host) is None else None
    return pinned, host_header, sni


class OutboundClient:
    """Kept-alive connections for a batch of requests (one httpx client per host name, so a TLS connection made
    for one name never carries another's request), every request through the guard."""

    def __init__(self, timeout=None, allow_private=None):
        config = current_app.config
        self.timeout = timeout if timeout is not None else config["WEBHOOK_TIMEOUT_SECONDS"]
        self.allow_private = private_addresses_allowed() if allow_private is None else allow_private
        self._clients = {}
        self._lock = threading.Lock()  # the delivery pool's threads share the clients

    def _client(self, host):
        with self._lock:
            client = self._clients.get(host)
            if client is None:
                client = self._clients[host] = httpx.Client(
                    timeout=self.timeout, follow_redirects=False, trust_env=False
                )
            return client

    def post(self, url, *, content, headers, read_at_most=4096):
        """POST `content` to `url`; returns (status code, response headers, the answer's first `read_at_most`
        bytes). Raises BlockedAddress, UnresolvableHost, or httpx.HTTPError when no answer came. Callable from
        any thread (no app context)."""
        pinned, host_header, sni = pinned_request(url, self.allow_private)
        extensions = {"sni_hostname": sni} if sni else {}
        request_headers = {**headers, "Host": host_header}
        client = self._client(host_header)
        with client.stream("POST", pinned, content=content, headers=request_headers, extensions=extensions) as answer:
            head = b""
            for chunk in answer.iter_bytes():  # a huge answer is cut (its connection closed), not read whole
                head += chunk
                if len(head) >= read_at_most:
                    break
            return answer.status_code, answer.headers, head[:read_at_most]

    def close(self):
        for client in self._clients.values():
            client.close()
        self._clients.clear()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
