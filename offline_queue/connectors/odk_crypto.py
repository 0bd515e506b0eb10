"""ODK submission encryption: the format ODK Collect writes and ODK Central, Briefcase and Kobo open.

A form published with ``<submission base64RsaPublicKey="…"/>`` (or a Central project with managed
encryption) receives each submission as a plaintext *manifest* plus encrypted files. Everything here follows
getodk/collect ``collect_app/src/main/java/org/odk/collect/android/utilities/EncryptionUtils.java``
(checked at commit 137f3259, 2026-08-20) and the readers getodk/central-backend ``lib/util/crypto.js``
(``getSubmissionKey``, ``getSubmissionIvs``, ``getSubmissionCleartext``), ``lib/util/quarantine/oaep.js``,
``lib/model/frames/submission.js`` and getodk/briefcase ``src/org/opendatakit/briefcase/export/
CipherFactory.java`` and ``Submission.java`` (``buildSignature``); the spec is
https://getodk.github.io/xforms-spec/encryption:

- a random 256-bit AES key per submission, wrapped with the form's RSA key using
  ``RSA/NONE/OAEPWithSHA256AndMGF1Padding`` (OAEP, SHA-256 digest and SHA-256 MGF1, no label; Central's
  unpadding reads SHA-256 for both and needs a 2048-bit key), base64 without line breaks;
- every file encrypted with ``AES/CFB/PKCS5Padding`` (PKCS#7 padding to 16 bytes, then CFB-128). The IV
  seed is MD5(instanceID as UTF-8 || AES key); before each file, byte ``i % 16`` of the seed is
  incremented (wrapping at 256), ``i`` counting files from 0: media files in manifest order, then
  ``submission.xml`` last;
- the signature: MD5 over ``formId\\n[version\\n]base64EncryptedKey\\ninstanceID\\n`` then
  ``name::md5hex\\n`` for each media file and finally ``submission.xml::md5hex\\n`` (names without
  ``.enc``, MD5 of the plaintext, 32 lowercase hex digits), RSA-encrypted like the key;
- the manifest serialised as Collect's KXmlSerializer does (no XML declaration, attributes before the
  namespace declaration, ``orx:`` prefix for meta, a newline after meta and after each media element).

The kiosk uses this for OpenRosa destinations configured with the form's public key: the multipart body
is built once at enqueue, so the queue holds only the ministry-encrypted files and exactly the same bytes
are sent on every attempt (Central answers an identical resubmission with 201).
"""
from __future__ import annotations

import base64
import binascii
import email.parser
import email.policy
import hashlib
import os
import uuid
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Mapping
from xml.etree import ElementTree

from cryptography.hazmat.primitives import hashes, padding, serialization
from cryptography.hazmat.primitives.asymmetric import padding as asym_padding
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms

try:  # CFB lives among the "decrepit" modes since cryptography 47; ODK's format needs it all the same
    from cryptography.hazmat.decrepit.ciphers.modes import CFB
except ImportError:  # older cryptography
    from cryptography.hazmat.primitives.ciphers.modes import CFB

from offline_queue.connectors import Rendered
from offline_queue.keys import KeyFileError

ENCRYPTED_NS = "http://www.opendatakit.org/xforms/encrypted"
OPENROSA_NS = "http://openrosa.org/xforms"
SUBMISSION_NAME = "submission.xml"
ENC_SUFFIX = ".enc"
MIN_RSA_BITS = 2048
_IV_LENGTH = 16
_OAEP = asym_padding.OAEP(mgf=asym_padding.MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=None)


class FormKeyError(KeyFileError):
    """A form public key (destination ``form_public_key``/``form_public_key_file``) that cannot be used."""


class OdkDecryptionError(Exception):
    """An encrypted submission that cannot be opened or whose signature does not match."""


@dataclass(frozen=True)
class EncryptedFile:
    """One encrypted file of a submission, named as in the manifest (``photo.jpg.enc``)."""

    name: str
    data: bytes


@dataclass(frozen=True)
class EncryptedSubmission:
    """The manifest (sent as ``xml_submission_file``) and the encrypted files: media in order, then
    ``submission.xml.enc``."""

    manifest: bytes
    files: tuple[EncryptedFile, ...]

    def multipart(self, boundary: str | None = None) -> tuple[bytes, str]:
        """The OpenRosa multipart/form-data body and its Content-Type, parts named as Collect names them."""
        boundary = boundary or f"ponte-{uuid.uuid4().hex}"
        while any(boundary.encode() in part for part in (self.manifest, *(f.data for f in self.files))):
            boundary = f"ponte-{uuid.uuid4().hex}"  # practically never: the boundary must not occur in a part
        out = bytearray()
        parts = [("xml_submission_file", SUBMISSION_NAME, "text/xml", self.manifest)]
        parts += [(f.name, f.name, "application/octet-stream", f.data) for f in self.files]
        for name, filename, ctype, data in parts:
            out += (f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                    f"Content-Type: {ctype}\r\n\r\n").encode("utf-8")
            out += data + b"\r\n"
        out += f"--{boundary}--\r\n".encode()
        return bytes(out), f"multipart/form-data; boundary={boundary}"


@dataclass(frozen=True)
class DecryptedSubmission:
    """What a ministry's tooling gets back: the submission XML exactly as the kiosk rendered it."""

    form_id: str
    version: str | None
    instance_id: str
    xml: bytes
    attachments: dict[str, bytes] = field(default_factory=dict)  # plaintext name -> bytes


# -- keys --------------------------------------------------------------------------------------------------

@lru_cache(maxsize=32)
def load_form_public_key(value: str) -> RSAPublicKey:
    """The form's RSA public key from the XForm's ``base64RsaPublicKey`` (base64 DER SubjectPublicKeyInfo),
    or from PEM text. Raises FormKeyError saying what is wrong."""
    text = value.strip() if isinstance(value, str) else ""
    try:
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_public_key(text.encode("ascii"))
        else:
            key = serialization.load_der_public_key(base64.b64decode("".join(text.split()), validate=True))
    except (ValueError, binascii.Error, UnicodeEncodeError, TypeError):
        raise FormKeyError("the form public key is not a base64 RSA public key (copy base64RsaPublicKey from "
                           "the form's <submission> element)") from None
    if not isinstance(key, RSAPublicKey):
        raise FormKeyError("the form public key is not an RSA key")
    if key.key_size < MIN_RSA_BITS:
        raise FormKeyError(f"the form public key has {key.key_size} bits; ODK needs at least {MIN_RSA_BITS}")
    return key


def form_public_key(destination) -> RSAPublicKey | None:
    """The destination's form key (``form_public_key`` inline, or ``form_public_key_file``), None if it
    sends plaintext. A public key is not a secret, so it may be written in kiosk.toml."""
    options = getattr(destination, "options", {}) or {}
    inline, path = options.get("form_public_key"), options.get("form_public_key_file")
    name = getattr(destination, "name", "?")
    if inline and path:
        raise FormKeyError(f"destination '{name}': set form_public_key or form_public_key_file, not both")
    if path:
        try:
            inline = Path(str(path)).expanduser().read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as exc:
            raise FormKeyError(f"destination '{name}': cannot read form_public_key_file {path} "
                               f"({type(exc).__name__})") from None
        if not inline.strip():
            raise FormKeyError(f"destination '{name}': form_public_key_file {path} is empty")
    if not inline:
        return None
    if getattr(destination, "kind", "openrosa") != "openrosa":
        raise FormKeyError(f"destination '{name}': form_public_key is for OpenRosa destinations only")
    try:
        return load_form_public_key(str(inline))
    except FormKeyError as exc:
        raise FormKeyError(f"destination '{name}': {exc}") from None


def encrypts(destination) -> bool:
    """True if submissions to this destination are ODK-encrypted (it names a form key)."""
    options = getattr(destination, "options", {}) or {}
    return getattr(destination, "kind", None) == "openrosa" and \
        bool(options.get("form_public_key") or options.get("form_public_key_file"))


def _as_public_key(value) -> RSAPublicKey:
    if isinstance(value, RSAPublicKey):
        return value
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    return load_form_public_key(str(value))


def _as_private_key(value) -> RSAPrivateKey:
    if isinstance(value, RSAPrivateKey):
        return value
    data = value.encode() if isinstance(value, str) else bytes(value)
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        raise OdkDecryptionError("cannot read the RSA private key (PEM, unencrypted)") from None
    if not isinstance(key, RSAPrivateKey):
        raise OdkDecryptionError("the private key is not an RSA key")
    return key


# -- the format ---------------------------------------------------------------------------------------------

def _ivs(instance_id: str, key: bytes):
    """The IV of each file in turn: Collect's getCipher() / Central's getSubmissionIvs()."""
    seed = bytearray(hashlib.md5(instance_id.encode("utf-8") + key).digest()[:_IV_LENGTH])
    counter = 0
    while True:
        seed[counter % _IV_LENGTH] = (seed[counter % _IV_LENGTH] + 1) & 0xFF  # Java byte arithmetic wraps
        counter += 1
        yield bytes(seed)


def _aes_encrypt(key: bytes, iv: bytes, data: bytes) -> bytes:
    padder = padding.PKCS7(128).padder()
    encryptor = Cipher(algorithms.AES(key), CFB(iv)).encryptor()
    return encryptor.update(padder.update(data) + padder.finalize()) + encryptor.finalize()


def _aes_decrypt(key: bytes, iv: bytes, data: bytes) -> bytes:
    if not data or len(data) % 16:
        raise OdkDecryptionError("an encrypted file has the wrong length (damaged or cut short)")
    decryptor = Cipher(algorithms.AES(key), CFB(iv)).decryptor()
    padded = decryptor.update(data) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    try:
        return unpadder.update(padded) + unpadder.finalize()
    except ValueError:
        raise OdkDecryptionError("an encrypted file does not decrypt (wrong key, or damaged)") from None


def _escape(text: str, quote: bool) -> str:
    """Character escaping of kxml2's KXmlSerializer.writeEscaped with a UTF-8 output (Collect's serializer)."""
    out = []
    for ch in text:
        code = ord(ch)
        if ch in "\n\r\t":
            out.append(f"&#{code};" if quote else ch)
        elif ch == "&":
            out.append("&amp;")
        elif ch == ">":
            out.append("&gt;")
        elif ch == "<":
            out.append("&lt;")
        elif ch == '"' and quote:
            out.append("&quot;")
        elif code < 0x20 or ch == "@" or code > 0xFFFF:
            out.append(f"&#{code};")
        else:
            out.append(ch)
    return "".join(out)


def _signature_source(form_id: str, version: str | None, b64_key: str, instance_id: str,
                      files: Iterable[tuple[str, bytes]]) -> bytes:
    lines = [form_id] + ([version] if version is not None else []) + [b64_key, instance_id]
    lines += [f"{name}::{hashlib.md5(data).hexdigest()}" for name, data in files]
    return "".join(line + "\n" for line in lines).encode("utf-8")


def encrypt_submission(xml: bytes, *, form_id: str, version: str | None, instance_id: str,
                       public_key_pem_or_base64, attachments: Iterable[tuple[str, bytes]] = ()
                       ) -> EncryptedSubmission:
    """Encrypt one submission for the form's RSA public key, exactly as ODK Collect does.

    Args:
        xml: the submission XML (its root's id/version and meta/instanceID must be the ones given here).
        form_id, version: the form's id and version, used verbatim (Central's managed encryption gives
            versions like ``1[encrypted:AAGJz1Y5]``); None leaves the version out, as Collect does.
        instance_id: meta/instanceID (``uuid:…``); it seeds the IVs, so it must not be empty.
        public_key_pem_or_base64: the form's ``base64RsaPublicKey``, PEM text, or an RSAPublicKey.
        attachments: (file name, bytes) pairs, encrypted before the XML in this order.
    """
    if not form_id or not instance_id:
        raise ValueError("an encrypted submission needs a form id and an instanceID")
    public = _as_public_key(public_key_pem_or_base64)
    attachments = [(str(name), bytes(data)) for name, data in attachments]
    for name, _ in attachments:
        if name == SUBMISSION_NAME or "/" in name or not name or name.endswith(ENC_SUFFIX):
            raise ValueError(f"attachment name {name!r} cannot be used in an encrypted submission")
    key = os.urandom(32)
    b64_key = base64.b64encode(public.encrypt(key, _OAEP)).decode("ascii")
    ivs = _ivs(instance_id, key)
    plain = attachments + [(SUBMISSION_NAME, bytes(xml))]
    files = tuple(EncryptedFile(name + ENC_SUFFIX, _aes_encrypt(key, next(ivs), data)) for name, data in plain)
    digest = hashlib.md5(_signature_source(form_id, version, b64_key, instance_id, plain)).digest()
    signature = base64.b64encode(public.encrypt(digest, _OAEP)).decode("ascii")
    version_attr = f' version="{_escape(version, True)}"' if version is not None else ""
    manifest = (f'<data id="{_escape(form_id, True)}"{version_attr} encrypted="yes" xmlns="{ENCRYPTED_NS}">'
                f"<base64EncryptedKey>{b64_key}</base64EncryptedKey>"
                f'<orx:meta xmlns:orx="{OPENROSA_NS}"><orx:instanceID>{_escape(instance_id, False)}'
                "</orx:instanceID></orx:meta>\n"
                + "".join(f"<media><file>{_escape(f.name, False)}</file></media>\n" for f in files[:-1])
                + f"<encryptedXmlFile>{files[-1].name}</encryptedXmlFile>"
                f"<base64EncryptedElementSignature>{signature}</base64EncryptedElementSignature></data>")
    return EncryptedSubmission(manifest.encode("utf-8"), files)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].split(":")[-1]


def _child(element, name: str):
    return next((c for c in element if _local(c.tag) == name), None)


def _text_of(element, name: str) -> str | None:
    child = _child(element, name)
    return child.text.strip() if child is not None and child.text else None


def parse_manifest(manifest: bytes) -> dict:
    """The manifest's fields, read like Central (namespaces ignored): id, version, encrypted, key,
    instance_id, media (encrypted names in order), xml_file, signature. Raises OdkDecryptionError."""
    try:
        root = ElementTree.fromstring(manifest)
    except ElementTree.ParseError:
        raise OdkDecryptionError("the manifest is not XML") from None
    meta = _child(root, "meta")
    fields = {
        "root": _local(root.tag), "id": root.get("id"), "version": root.get("version"),
        "encrypted": root.get("encrypted"), "key": _text_of(root, "base64EncryptedKey"),
        "instance_id": (_text_of(meta, "instanceID") if meta is not None else None) or _text_of(root, "instanceID"),
        "media": [(_text_of(m, "file") or "") for m in root if _local(m.tag) == "media"],
        "xml_file": _text_of(root, "encryptedXmlFile"), "signature": _text_of(root, "base64EncryptedElementSignature"),
    }
    missing = [k for k in ("id", "key", "instance_id", "xml_file", "signature") if not fields[k]]
    if missing:
        raise OdkDecryptionError(f"the manifest lacks {', '.join(missing)}")
    return fields


def decrypt_submission(manifest: bytes, files: Mapping[str, bytes], private_key, *,
                       verify_signature: bool = True) -> DecryptedSubmission:
    """Open an encrypted submission with the form's RSA private key and check its signature the way
    Briefcase does (MD5 of the rebuilt signature source equals the RSA-decrypted signature).

    Args:
        manifest: the ``xml_submission_file`` part.
        files: encrypted files by name (``submission.xml.enc`` and any ``*.enc`` media).
        private_key: RSAPrivateKey or unencrypted PEM.
    """
    fields = parse_manifest(manifest)
    private = _as_private_key(private_key)
    try:
        key = private.decrypt(base64.b64decode(fields["key"], validate=True), _OAEP)
    except (ValueError, binascii.Error):
        raise OdkDecryptionError("the submission key does not open with this private key") from None
    if len(key) != 32:
        raise OdkDecryptionError("the submission key is not a 256-bit AES key")
    ivs = _ivs(fields["instance_id"], key)
    plain: list[tuple[str, bytes]] = []
    for name in [*fields["media"], fields["xml_file"]]:
        if name not in files:
            raise OdkDecryptionError(f"the encrypted file {name} is missing")
        plain_name = name[:-len(ENC_SUFFIX)] if name.endswith(ENC_SUFFIX) else name
        plain.append((plain_name, _aes_decrypt(key, next(ivs), files[name])))
    if verify_signature:
        try:
            expected = private.decrypt(base64.b64decode(fields["signature"], validate=True), _OAEP)
        except (ValueError, binascii.Error):
            raise OdkDecryptionError("the signature does not open with this private key") from None
        actual = hashlib.md5(_signature_source(fields["id"], fields["version"], fields["key"],
                                               fields["instance_id"], plain)).digest()
        if expected != actual:
            raise OdkDecryptionError("the signature does not match: the submission was altered")
    return DecryptedSubmission(fields["id"], fields["version"], fields["instance_id"], plain[-1][1],
                               dict(plain[:-1]))


def split_multipart(body: bytes, content_type: str) -> dict[str, bytes]:
    """The parts of a multipart/form-data body by field name (for servers in tests and ministry tooling)."""
    parsed = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body)
    if not parsed.is_multipart():
        raise OdkDecryptionError("not a multipart body")
    parts: dict[str, bytes] = {}
    for part in parsed.iter_parts():
        name, payload = part.get_param("name", header="content-disposition"), part.get_payload(decode=True)
        if isinstance(name, str) and isinstance(payload, bytes):
            parts[name] = payload
    return parts


def decrypt_multipart(body: bytes, content_type: str, private_key) -> DecryptedSubmission:
    """Open a whole OpenRosa request body as the kiosk queued and sent it."""
    parts = split_multipart(body, content_type)
    if "xml_submission_file" not in parts:
        raise OdkDecryptionError("no xml_submission_file part")
    return decrypt_submission(parts["xml_submission_file"], parts, private_key)


# -- the outbox's hook ---------------------------------------------------------------------------------------

def encrypt_rendered(rendered: Rendered, destination) -> Rendered:
    """The OpenRosa body to store and send for a destination that ``encrypts()``: the rendered XForm
    instance encrypted for the form key as a multipart body (no device seal needed: only the ministry's
    private key opens it). Form id, version and instanceID are read from the rendered XML itself, so the
    manifest always agrees with the encrypted instance. Raises FormKeyError rather than ever returning
    plaintext."""
    public = form_public_key(destination)
    if public is None:
        raise FormKeyError(f"destination '{getattr(destination, 'name', '?')}': no form_public_key to encrypt for")
    try:
        root = ElementTree.fromstring(rendered.body)
    except ElementTree.ParseError:
        raise ValueError("the rendered XForm instance is not XML") from None
    instance_id = next((found for meta in root if _local(meta.tag) == "meta"
                        for found in [_text_of(meta, "instanceID")] if found), None)
    form_id = root.get("id")
    if not form_id or not instance_id:
        raise ValueError("an encrypted OpenRosa submission needs the form id and meta/instanceID")
    encrypted = encrypt_submission(rendered.body, form_id=form_id, version=root.get("version"),
                                   instance_id=instance_id, public_key_pem_or_base64=public)
    body, content_type = encrypted.multipart()
    return Rendered(body, content_type, "none")
