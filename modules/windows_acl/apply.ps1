# Changes the ACL of a file, folder or registry key in three steps, each on a fresh read and
# written on its own: owner, then protection (so copied entries are explicit before the next
# step), then entries. AddAccessRule and RemoveAccessRuleSpecific keep the canonical order.
$target = [string]$in.target
$sidType = [Security.Principal.SecurityIdentifier]
$sections = [Security.AccessControl.AccessControlSections]'Access, Owner'
$toSid = {
  param($ref)
  if ($null -ne $ref.sid) {
    return [Security.Principal.SecurityIdentifier]::new([string]$ref.sid)
  }
  try {
    return [Security.Principal.NTAccount]::new([string]$ref.identity).Translate($sidType)
  } catch {
    throw ('no account ' + [string]$ref.identity + ' on this host: create it first, or give its SID')
  }
}
if ($null -ne $in.owner) {
  # Another owner than oneself needs SeRestorePrivilege; opening a key for WRITE_OWNER needs SeTakeOwnershipPrivilege.
  if (-not ('Provision.TokenPrivileges' -as [type])) {
    $source = @(
      'using System;'
      'using System.Runtime.InteropServices;'
      'namespace Provision {'
      '  public static class TokenPrivileges {'
      '    [StructLayout(LayoutKind.Sequential, Pack = 1)]'
      '    struct State { public int Count; public long Luid; public int Attributes; }'
      '    [DllImport("advapi32.dll", SetLastError = true)]'
      '    static extern bool AdjustTokenPrivileges(IntPtr token, bool disableAll, ref State state, int length, IntPtr previous, IntPtr returned);'
      '    [DllImport("advapi32.dll", SetLastError = true)]'
      '    static extern bool OpenProcessToken(IntPtr process, int access, out IntPtr token);'
      '    [DllImport("advapi32.dll", SetLastError = true, CharSet = CharSet.Unicode)]'
      '    static extern bool LookupPrivilegeValue(string system, string name, out long luid);'
      '    [DllImport("kernel32.dll")]'
      '    static extern IntPtr GetCurrentProcess();'
      '    [DllImport("kernel32.dll")]'
      '    static extern bool CloseHandle(IntPtr handle);'
      '    public static bool Enable(string name) {'
      '      IntPtr token;'
      '      if (!OpenProcessToken(GetCurrentProcess(), 0x28, out token)) return false;'
      '      try {'
      '        State state = new State();'
      '        state.Count = 1;'
      '        state.Attributes = 2;'
      '        if (!LookupPrivilegeValue(null, name, out state.Luid)) return false;'
      '        if (!AdjustTokenPrivileges(token, false, ref state, 0, IntPtr.Zero, IntPtr.Zero)) return false;'
      '        return Marshal.GetLastWin32Error() == 0;'
      '      } finally { CloseHandle(token); }'
      '    }'
      '  }'
      '}'
    ) -join "`n"
    Add-Type -TypeDefinition $source
  }
  $restore = [Provision.TokenPrivileges]::Enable('SeRestorePrivilege')
  $take = [Provision.TokenPrivileges]::Enable('SeTakeOwnershipPrivilege')
  if (-not ($restore -or $take)) {
    throw 'setting the owner needs SeRestorePrivilege or SeTakeOwnershipPrivilege: connect as an administrator (elevated)'
  }
}
if ($target -eq 'file') {
  if (-not (Test-Path -LiteralPath $in.path)) {
    throw ('path not found: ' + [string]$in.path + ' (an ntfs_acl does not create it; create the file or folder first)')
  }
  $item = Get-Item -LiteralPath $in.path -Force
} else {
  $base = [Microsoft.Win32.RegistryKey]::OpenBaseKey([Microsoft.Win32.RegistryHive][string]$in.hive, [Microsoft.Win32.RegistryView][string]$in.view)
  $access = [Security.AccessControl.RegistryRights]'ReadPermissions, ChangePermissions'
  if ($null -ne $in.owner) {
    $access = [Security.AccessControl.RegistryRights]'ReadPermissions, ChangePermissions, TakeOwnership'
  }
  $key = $base.OpenSubKey([string]$in.path, [Microsoft.Win32.RegistryKeyPermissionCheck]::ReadWriteSubTree, $access)
  if ($null -eq $key) {
    throw ('registry key not found: ' + [string]$in.path + ' (a registry_acl does not create it; add a registry_key resource)')
  }
}
$read = {
  if ($target -ne 'file') {
    return $key.GetAccessControl($sections)
  }
  if ($item.PSObject.Methods.Name -contains 'GetAccessControl') {
    return $item.GetAccessControl($sections)
  }
  return [IO.FileSystemAclExtensions]::GetAccessControl($item, $sections)
}
$write = {
  param($acl)
  if ($target -ne 'file') {
    $key.SetAccessControl($acl)
  } elseif ($item.PSObject.Methods.Name -contains 'SetAccessControl') {
    $item.SetAccessControl($acl)
  } else {
    [IO.FileSystemAclExtensions]::SetAccessControl($item, $acl)
  }
}
$keyOf = {
  param($sid, $type, $inheritance, $propagation)
  return ([string]$sid + '|' + [string][int]$type + '|' + [string][int]$inheritance + '|' + [string][int]$propagation)
}
if ($null -ne $in.owner) {
  $acl = & $read
  $acl.SetOwner((& $toSid $in.owner))
  & $write $acl
}
if ($null -ne $in.protection) {
  $acl = & $read
  $acl.SetAccessRuleProtection([bool]$in.protection.protected, [bool]$in.protection.copy)
  & $write $acl
}
$wanted = @()
foreach ($e in @($in.entries)) {
  $sid = & $toSid $e
  $wanted += [pscustomobject]@{ entry = $e; sid = $sid; key = (& $keyOf $sid.Value $e.type $e.inheritance $e.propagation) }
}
if ($wanted.Count -gt 0 -or [bool]$in.purge) {
  $acl = & $read
  foreach ($rule in @($acl.GetAccessRules($true, $false, $sidType))) {
    $k = & $keyOf $rule.IdentityReference.Value $rule.AccessControlType $rule.InheritanceFlags $rule.PropagationFlags
    $listed = @($wanted | Where-Object { $_.key -eq $k })
    $rewrite = @($listed | Where-Object { $_.entry.write }).Count -gt 0
    if ($rewrite -or ([bool]$in.purge -and $listed.Count -eq 0)) {
      $acl.RemoveAccessRuleSpecific($rule)
    }
  }
  foreach ($w in $wanted) {
    if (-not $w.entry.write) {
      continue
    }
    $inheritance = [Security.AccessControl.InheritanceFlags][int]$w.entry.inheritance
    $propagation = [Security.AccessControl.PropagationFlags][int]$w.entry.propagation
    $type = [Security.AccessControl.AccessControlType][int]$w.entry.type
    if ($target -eq 'file') {
      $rule = [Security.AccessControl.FileSystemAccessRule]::new($w.sid, [Security.AccessControl.FileSystemRights][int]$w.entry.rights, $inheritance, $propagation, $type)
    } else {
      $rule = [Security.AccessControl.RegistryAccessRule]::new($w.sid, [Security.AccessControl.RegistryRights][int]$w.entry.rights, $inheritance, $propagation, $type)
    }
    $acl.AddAccessRule($rule)
  }
  & $write $acl
}
if ($target -ne 'file') {
  $key.Close()
}
return [ordered]@{ changed = $true }
