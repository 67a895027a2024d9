# User rights through the LSA policy (P/Invoke of advapi32 with Add-Type; secedit is not used):
# read with LsaEnumerateAccountsWithUserRight, write with LsaAddAccountRights and
# LsaRemoveAccountRights. Input: op (read|apply), right; read: accounts (names to resolve);
# apply: add (names or SIDs), remove (SIDs). Uses $resolve (prelude service/windows/resolve.ps1).
$source = @'
using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Runtime.InteropServices;
using System.Security.Principal;
namespace ProvisionLsa {
  public static class Rights {
    [StructLayout(LayoutKind.Sequential)]
    struct LSA_UNICODE_STRING { public ushort Length; public ushort MaximumLength; public IntPtr Buffer; }
    [StructLayout(LayoutKind.Sequential)]
    struct LSA_OBJECT_ATTRIBUTES { public int Length; public IntPtr RootDirectory; public IntPtr ObjectName; public int Attributes; public IntPtr SecurityDescriptor; public IntPtr SecurityQualityOfService; }
    [DllImport("advapi32.dll")] static extern uint LsaOpenPolicy(IntPtr systemName, ref LSA_OBJECT_ATTRIBUTES attributes, uint access, out IntPtr handle);
    [DllImport("advapi32.dll")] static extern uint LsaEnumerateAccountsWithUserRight(IntPtr handle, LSA_UNICODE_STRING[] right, out IntPtr buffer, out uint count);
    [DllImport("advapi32.dll")] static extern uint LsaAddAccountRights(IntPtr handle, byte[] sid, LSA_UNICODE_STRING[] rights, uint count);
    [DllImport("advapi32.dll")] static extern uint LsaRemoveAccountRights(IntPtr handle, byte[] sid, [MarshalAs(UnmanagedType.U1)] bool allRights, LSA_UNICODE_STRING[] rights, uint count);
    [DllImport("advapi32.dll")] static extern uint LsaClose(IntPtr handle);
    [DllImport("advapi32.dll")] static extern uint LsaFreeMemory(IntPtr buffer);
    [DllImport("advapi32.dll")] static extern int LsaNtStatusToWinError(uint status);
    const uint POLICY_ALL_ACCESS = 0x000F0FFF;
    const uint STATUS_NO_MORE_ENTRIES = 0x8000001A;
    const uint STATUS_OBJECT_NAME_NOT_FOUND = 0xC0000034;
    static LSA_UNICODE_STRING[] Text(string s) {
      LSA_UNICODE_STRING u = new LSA_UNICODE_STRING();
      u.Buffer = Marshal.StringToHGlobalUni(s);
      u.Length = (ushort)(s.Length * 2);
      u.MaximumLength = (ushort)(s.Length * 2 + 2);
      return new LSA_UNICODE_STRING[] { u };
    }
    static void Check(uint status, string what) {
      if (status != 0) throw new Win32Exception(LsaNtStatusToWinError(status), what);
    }
    static IntPtr Open() {
      LSA_OBJECT_ATTRIBUTES a = new LSA_OBJECT_ATTRIBUTES();
      IntPtr h;
      Check(LsaOpenPolicy(IntPtr.Zero, ref a, POLICY_ALL_ACCESS, out h), "LsaOpenPolicy");
      return h;
    }
    public static string[] Holders(string right) {
      IntPtr h = Open();
      LSA_UNICODE_STRING[] r = Text(right);
      try {
        IntPtr buffer;
        uint count;
        uint status = LsaEnumerateAccountsWithUserRight(h, r, out buffer, out count);
        if (status == STATUS_NO_MORE_ENTRIES || status == STATUS_OBJECT_NAME_NOT_FOUND) return new string[0];
        Check(status, "LsaEnumerateAccountsWithUserRight " + right);
        List<string> sids = new List<string>();
        for (int i = 0; i < count; i++) sids.Add(new SecurityIdentifier(Marshal.ReadIntPtr(buffer, i * IntPtr.Size)).Value);
        LsaFreeMemory(buffer);
        return sids.ToArray();
      } finally {
        Marshal.FreeHGlobal(r[0].Buffer);
        LsaClose(h);
      }
    }
    public static void Change(string right, string sid, bool grant) {
      SecurityIdentifier s = new SecurityIdentifier(sid);
      byte[] bytes = new byte[s.BinaryLength];
      s.GetBinaryForm(bytes, 0);
      IntPtr h = Open();
      LSA_UNICODE_STRING[] r = Text(right);
      try {
        if (grant) Check(LsaAddAccountRights(h, bytes, r, 1), "LsaAddAccountRights " + right + " " + sid);
        else {
          uint status = LsaRemoveAccountRights(h, bytes, false, r, 1);
          if (status != STATUS_OBJECT_NAME_NOT_FOUND) Check(status, "LsaRemoveAccountRights " + right + " " + sid);
        }
      } finally {
        Marshal.FreeHGlobal(r[0].Buffer);
        LsaClose(h);
      }
    }
  }
}
'@
if ($null -eq ('ProvisionLsa.Rights' -as [type])) { Add-Type -TypeDefinition $source -Language CSharp }
$nameOf = {
  param($sid)
  try {
    return ([Security.Principal.SecurityIdentifier]::new($sid)).Translate([Security.Principal.NTAccount]).Value
  } catch {
    return $sid
  }
}
$right = [string]$in.right
if ($in.op -eq 'apply') {
  foreach ($a in @($in.add)) {
    if ($null -eq $a) { continue }
    $sid = & $resolve ([string]$a)
    if ($null -eq $sid) { throw ('account ' + [string]$a + ' does not exist on this host, so it cannot be granted ' + $right) }
    [ProvisionLsa.Rights]::Change($right, $sid, $true)
  }
  foreach ($sid in @($in.remove)) {
    if ($null -ne $sid) { [ProvisionLsa.Rights]::Change($right, [string]$sid, $false) }
  }
}
$holders = @([ProvisionLsa.Rights]::Holders($right) | ForEach-Object { [ordered]@{ sid = $_; name = (& $nameOf $_) } })
$sids = [ordered]@{}
foreach ($a in @($in.accounts)) {
  if ($null -ne $a -and -not $sids.Contains([string]$a)) { $sids[[string]$a] = & $resolve ([string]$a) }
}
return [ordered]@{ right = $right; holders = $holders; sids = $sids }
