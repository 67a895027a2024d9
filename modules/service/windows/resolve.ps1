# Prelude of the scripts that compare accounts (see script.ts): $resolve gives the SID of an
# account name (DOMAIN\user, .\user, NT SERVICE\x, a SID) on this host, or $null when it has none.
$resolve = {
  param($n)
  if ([string]::IsNullOrEmpty($n)) { return $null }
  if ($n -match '^S-1-[0-9-]+$') { return $n.ToUpperInvariant() }
  if ($n -eq 'LocalSystem') { return 'S-1-5-18' }
  $full = $n
  if ($n.StartsWith('.\')) { $full = $env:COMPUTERNAME + $n.Substring(1) }
  try {
    return ([Security.Principal.NTAccount]::new($full)).Translate([Security.Principal.SecurityIdentifier]).Value
  } catch {
    return $null
  }
}
