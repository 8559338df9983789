# tests/routes/marked2tsv.awk: hand-marked corpus (backtick before identifier segments) to TSV.
BEGIN { FS = "\t"; OFS = "\t" }
/^#/ || NF == 0 { next }
{
	m = $2; path = m; gsub(/`/, "", path)
	q = index(m, "?"); h = index(m, "#"); cut = length(m) + 1
	if (q && q < cut) cut = q
	if (h && h < cut) cut = h
	p = substr(m, 1, cut - 1)
	n = split(p, s, "/"); out = ""
	for (i = 1; i <= n; i++) {
		seg = s[i]
		if (substr(seg, 1, 1) == "`") seg = "*"
		else if (index(seg, "`")) { print "bad mark: " m > "/dev/stderr"; exit 1 }
		out = out (i > 1 ? "/" : "") seg
	}
	print $1, path, out
}
