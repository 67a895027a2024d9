# Keep (or forget) a fingerprint of the password provision last gave a service or task, so that
# update_password: always can tell a changed password without reading it back: a salted
# PBKDF2-HMAC-SHA1 in HKLM\SOFTWARE\Provision\Passwords, a key only SYSTEM and the
# administrators can read (who could read the stored password itself from the LSA anyway).
# Input: record (e.g. service:demo-api), password (null: remove the record).
$path = 'SOFTWARE\Provision\Passwords'
$store = [Microsoft.Win32.Registry]::LocalMachine.OpenSubKey($path, $true)
if ($null -eq $store -and $null -eq $in.password) { return @{ record = [string]$in.record; kept = $false } }
if ($null -eq $store) {
  $security = New-Object Security.AccessControl.RegistrySecurity
  $security.SetAccessRuleProtection($true, $false)
  foreach ($sid in @('S-1-5-18', 'S-1-5-32-544')) {
    $identity = New-Object Security.Principal.SecurityIdentifier($sid)
    $security.AddAccessRule((New-Object Security.AccessControl.RegistryAccessRule($identity, 'FullControl', 'ContainerInherit,ObjectInherit', 'None', 'Allow')))
  }
  $store = [Microsoft.Win32.Registry]::LocalMachine.CreateSubKey($path, [Microsoft.Win32.RegistryKeyPermissionCheck]::ReadWriteSubTree, $security)
}
try {
  if ($null -eq $in.password) {
    $store.DeleteValue([string]$in.record, $false)
    return @{ record = [string]$in.record; kept = $false }
  }
  $iterations = 50000
  $salt = New-Object byte[] 16
  [Security.Cryptography.RandomNumberGenerator]::Create().GetBytes($salt)
  $kdf = New-Object Security.Cryptography.Rfc2898DeriveBytes([string]$in.password, $salt, $iterations)
  $hash = $kdf.GetBytes(32)
  $kdf.Dispose()
  $text = 'pbkdf2-sha1$' + $iterations + '$' + [Convert]::ToBase64String($salt) + '$' + [Convert]::ToBase64String($hash)
  $store.SetValue([string]$in.record, $text, [Microsoft.Win32.RegistryValueKind]::String)
} finally {
  $store.Close()
}
return @{ record = [string]$in.record; kept = $true }
