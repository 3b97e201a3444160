// Source trees that hold every case an archive copy must keep, as shell
// scripts run inside an empty directory; each builds or adds to ./tree, in a
// subshell, so they can be run one after the other.

/** Cases any user can create: modes, times, xattrs, ACLs, links, odd names, specials. */
export const EVERYDAY_TREE = `(
set -e
mkdir -p tree/modes tree/links/a tree/links/b/c tree/names tree/specials tree/empty tree/acl/inherit
cd tree
# modes, setuid/setgid/sticky included
printf x > modes/setuid && chmod 4755 modes/setuid
printf x > modes/setgid && chmod 2711 modes/setgid
mkdir modes/sticky && chmod 1777 modes/sticky
printf x > modes/none && chmod 000 modes/none
mkdir -p modes/readonly/inside && printf x > modes/readonly/inside/f && chmod 555 modes/readonly
# hard-link groups within and across directories
printf 'linked' > links/a/one && ln links/a/one links/b/two && ln links/a/one links/b/c/three
printf 'pair' > links/a/p1 && ln links/a/p1 links/a/p2
# symlinks: relative, absolute, dangling, a loop, a long target
ln -s ../modes/setuid links/rel
ln -s /etc/hostname links/abs
ln -s does/not/exist links/dangling
ln -s loop-b links/loop-a && ln -s loop-a links/loop-b
ln -s "$(printf '%0300d' 0)/x" links/long-target
# names are bytes
touch -- "names/$(printf 'bad-\\377\\376')" "names/$(printf 'new\\nline')" names/-dash "names/$(printf '%0255d' 1)"
touch -- "names/$(printf 'caf\\303\\251')" "names/$(printf 'cafe\\314\\201')"
# fifos and sockets are recreated, never read
mkfifo specials/fifo
python3 -c "import socket; socket.socket(socket.AF_UNIX).bind('specials/sock')"
# extended attributes and ACLs (default ACLs on directories too)
printf x > xattr-file && setfattr -n user.color -v blue xattr-file && setfattr -n user.empty xattr-file
setfattr -n user.dir -v yes links
# read-only: the copy's xattrs must be set before it is made read-only
printf x > xattr-readonly && setfattr -n user.color -v red xattr-readonly && chmod 444 xattr-readonly
head -c 1100000 /dev/urandom > xattr-readonly-large && setfattr -n user.color -v red xattr-readonly-large && chmod 444 xattr-readonly-large
ln -s xattr-file xattr-link
printf x > acl/file && setfacl -m u:nobody:rw,g:nogroup:r acl/file
setfacl -m u:nobody:rx acl/inherit && setfacl -d -m u:nobody:r,g::rx acl/inherit
# sparse: a hole, data, and a trailing hole
truncate -s 64M sparse && printf data | dd of=sparse bs=1 seek=20000000 conv=notrunc status=none
# nanosecond times on files, directories and symlinks (directories last)
touch -h -d '2001-02-03 04:05:06.123456789' links/rel links/abs xattr-link
find . -depth -not -type l -exec touch -d '2002-03-04 05:06:07.987654321' {} +
touch -d '1999-12-31 23:59:59.000000001' modes/setuid
)`;

/** Cases only root can create: other owners, devices, trusted and security xattrs. */
export const ROOT_TREE = `(
set -e
mkdir -p tree/owners tree/devices
cd tree
printf x > owners/file && chown 1234:5678 owners/file
mkdir owners/dir && chown 65534:65534 owners/dir
ln -s file owners/link && chown -h 4321:8765 owners/link && setfattr -h -n trusted.link -v 1 owners/link
printf x > owners/setuid-other && chown 1234:5678 owners/setuid-other && chmod 6755 owners/setuid-other
mknod devices/null c 1 3 && mknod devices/loop b 7 200 && chmod 640 devices/loop
printf x > trusted-file && setfattr -n trusted.secret -v 42 trusted-file && setfattr -n security.blit -v label trusted-file
setfattr -n trusted.dir -v 1 devices
find . -depth -not -type l -exec touch -d '2003-04-05 06:07:08.111111111' {} +
)`;
