# Start or stop the scheduled task now. Input: name, path, state (running|stopped).
if ($in.state -eq 'running') {
  Start-ScheduledTask -TaskPath ([string]$in.path) -TaskName ([string]$in.name)
} else {
  Stop-ScheduledTask -TaskPath ([string]$in.path) -TaskName ([string]$in.name)
}
return @{ state = [string](Get-ScheduledTask -TaskPath ([string]$in.path) -TaskName ([string]$in.name)).State }
