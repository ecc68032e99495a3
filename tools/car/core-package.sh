# deepracer-stack: sourced by tools/install-car.sh. The stack is recorded in dpkg as the package the original
# software's version is read from, `aws-deepracer-core`, and the original's own package is kept to be put back.
#
# Why: DeepRacer Event Manager (v3.2.0) fetches driving logs only from cars whose SSM inventory lists the dpkg
# package aws-deepracer-core at version 2.1.2.7 or later (the part before a `+` compared as whole numbers: the
# community car release that added the logger it fetches from). The inventory reads `dpkg-query`, which lists
# packages by their own name only (never a Provides), so the package must be named so. Its version is
# CORE_LEVEL+deepracerstack.<our version>: DREM reads 2.1.2.7 and shows organisers whose software it is.
#
# The original's package (the AWS car's 2.0.x, or a community release) is repacked from the car's own dpkg database
# into <prefix>/original/ before ours replaces it (dpkg removes its files then: the original ROS install under
# /opt/aws/deepracer/lib is not used by the stack), and `install-car.sh --uninstall` installs that file again.
# Ours is held (dpkg selection "hold"), so an apt upgrade from the original's repository does not replace it.
#
# Needs: DPKG (the dpkg command with its options for the target root), DPKG_QUERY, ADMIN (the dpkg database),
# ROOT, TARGET (the stack's folder in the target root), REPO.

CORE=aws-deepracer-core
CORE_LEVEL=2.1.2.7
OURS_MARK=deepracerstack

core_status() { "${DPKG_QUERY[@]}" -W -f='${db:Status-Status} ${Version}\n' "$CORE" 2>/dev/null || true; }
core_installed_version() { core_status | awk '$1 == "installed" { print $2 }'; }
core_is_ours() { case "$(core_installed_version)" in *"+$OURS_MARK"*) return 0 ;; *) return 1 ;; esac; }

kept_original() {
  local deb
  for deb in "$TARGET/original/$CORE"_*.deb; do [ -f "$deb" ] && echo "$deb" && return 0; done
  return 0
}

stack_version() {
  sed -n 's/^ *version="\([^"]*\)".*/\1/p' "$REPO/src/webserver_pkg/setup.py" | head -n 1
}

# The installed package as a .deb, from the dpkg database: its control fields (Status and Conffiles left out), its
# maintainer scripts and its files as they are on disk now. (What dpkg-repack does; it is not on the car.)
repack_installed() {
  local out=$1 stage list conffiles script
  stage=$(mktemp -d)
  mkdir -p "$stage/DEBIAN"
  for list in "$ADMIN/info/$CORE.list" "$ADMIN/info/$CORE":*.list; do [ -f "$list" ] && break; done
  "${DPKG_QUERY[@]}" -s "$CORE" | awk '
    /^[^ \t]/ { skip = ($1 == "Status:" || $1 == "Conffiles:" || $1 == "Config-Version:") }
    !skip' > "$stage/DEBIAN/control"
  for script in preinst postinst prerm postrm config templates triggers shlibs symbols; do
    for found in "$ADMIN/info/$CORE.$script" "$ADMIN/info/$CORE":*".$script"; do
      if [ -f "$found" ]; then cp -p "$found" "$stage/DEBIAN/$script"; break; fi
    done
  done
  if [ -f "$list" ]; then
    grep -v '^/\.$' "$list" | sed 's|^/||' \
      | tar -C "$ROOT/" --no-recursion --ignore-failed-read -cf - -T - 2>/dev/null | tar -C "$stage" -xpf -
  fi
  for conffiles in "$ADMIN/info/$CORE.conffiles" "$ADMIN/info/$CORE":*.conffiles; do
    [ -f "$conffiles" ] || continue
    while read -r path; do [ -e "$stage$path" ] && echo "$path"; done < "$conffiles" > "$stage/DEBIAN/conffiles"
    [ -s "$stage/DEBIAN/conffiles" ] || rm -f "$stage/DEBIAN/conffiles"
    break
  done
  dpkg-deb --root-owner-group -Zgzip -z1 --build "$stage" "$out" >/dev/null
  rm -rf "$stage"
}

# Our package: no files of the original, no maintainer scripts; a note where the stack is and how to go back.
build_core_package() {
  local out=$1 version=$2 stage
  stage=$(mktemp -d)
  mkdir -p "$stage/DEBIAN" "$stage/usr/share/doc/$CORE"
  cat > "$stage/DEBIAN/control" <<EOF
Package: $CORE
Version: $version
Architecture: all
Maintainer: deepracer-stack <root@localhost>
Section: misc
Priority: optional
Description: DeepRacer car stack (deepracer-stack) in place of the original software
 The stack runs from $PREFIX as deepracer-core.service. This package stands for it where
 event tools read the car's software version (DeepRacer Event Manager fetches driving logs
 from cars at $CORE_LEVEL or later). tools/install-car.sh --uninstall puts the original back.
EOF
  cat > "$stage/usr/share/doc/$CORE/deepracer-stack" <<EOF
This car runs deepracer-stack $version from $PREFIX (deepracer-core.service).
The original software's package, if there was one, is kept in $PREFIX/original/;
$PREFIX/tools/install-car.sh --uninstall installs it again.
EOF
  dpkg-deb --root-owner-group -Zgzip --build "$stage" "$out" >/dev/null
  rm -rf "$stage"
}

install_core_package() {
  local version previous deb
  version="$CORE_LEVEL+$OURS_MARK.$(stack_version)"
  previous=$(core_installed_version)
  if [ -n "$previous" ] && ! core_is_ours && [ -z "$(kept_original)" ]; then
    mkdir -p "$TARGET/original"
    repack_installed "$TARGET/original/${CORE}_${previous//:/%3a}.deb"
    echo "Kept the original $CORE $previous as $PREFIX/original/${CORE}_${previous//:/%3a}.deb"
  fi
  deb="$(mktemp -d)/${CORE}_${version}_all.deb"
  build_core_package "$deb" "$version"
  # --force-depends: a package of the original that depends on its own core version (its device console) stays
  # installed, that dependency unmet while ours is in; the original coming back meets it again.
  "${DPKG[@]}" --force-confold --force-depends -i "$deb" >/dev/null
  rm -rf "$(dirname "$deb")"
  echo "$CORE hold" | "${DPKG[@]}" --set-selections
  echo "dpkg: $CORE $version (held), as DeepRacer Event Manager reads it"
}

restore_core_package() {
  core_is_ours || return 0
  local original
  echo "$CORE install" | "${DPKG[@]}" --set-selections
  original=$(kept_original)
  if [ -n "$original" ]; then
    "${DPKG[@]}" --force-confold -i "$original" >/dev/null
    echo "dpkg: the original $CORE $(core_installed_version) is installed again"
  else
    "${DPKG[@]}" --purge "$CORE" >/dev/null
    echo "dpkg: $CORE removed (there was no original package to put back)"
  fi
}
